import Foundation
import LecternCore

/// The daemon's database: buyers, orders, grants, webhook events and the e-mail outbox, on SQLite (one
/// file, the default) or PostgreSQL (several daemons sharing it). Every SQL statement of Lectern is in this
/// target, written once for both engines (`SQLDatabase`); callers get named reads and writes, never a handle.
public final class Store: Sendable {
    public let engine: any StoreEngine
    private let writeOutcome = Locked(WriteOutcome(succeeded: true, at: Date(), reason: nil))

    /// An SQLite file, created and migrated if needed.
    /// - Parameter busyTimeout: how long a write waits for a lock another process holds before it fails
    ///   (and the webhook is answered 503, to be retried).
    public convenience init(path: String, busyTimeout: TimeInterval = 5) throws {
        self.init(engine: try SQLiteEngine(path: path, busyTimeout: busyTimeout))
    }

    public init(engine: any StoreEngine) { self.engine = engine }

    /// The SQLite file, when the store is one (backups, the editions folder beside it).
    public var path: String? { (engine as? SQLiteEngine)?.path }

    /// Fails when the database cannot be read (`/healthz`).
    public func check() throws {
        _ = try read { try Int.fetchOne($0, sql: "SELECT 1") }
    }

    public func write<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        do {
            let result = try engine.write(body)
            noteWrite(nil)
            return result
        } catch {
            // The database refused (full, locked, read-only, unreachable); a caller's own error is not its.
            if engine.isDatabaseError(error) { noteWrite(error) }
            throw error
        }
    }

    /// The last write's outcome, whoever made it (a webhook, the outbox, a heartbeat): what `/healthz` says
    /// about the store without a write of its own.
    public struct WriteOutcome: Sendable, Equatable {
        public var succeeded: Bool
        public var at: Date
        public var reason: String?
    }

    public var lastWrite: WriteOutcome { writeOutcome.withLock { $0 } }

    func noteWrite(_ error: Error?) {
        let outcome = WriteOutcome(succeeded: error == nil, at: Date(), reason: error.map { "\($0)" })
        writeOutcome.withLock { $0 = outcome }
    }

    /// A real write (the time, in `daemon_state`), for when nothing else wrote lately.
    public func heartbeat(now: Date = Date()) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO daemon_state (key, value) VALUES ('heartbeat', ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, arguments: [Store.timestamp(now)])
        }
    }

    /// Whether this process takes its turn at a periodic job (`job`, e.g. "retention"): true for the first to
    /// ask once `interval` has passed since the last turn, whichever node it is, false for the others. With
    /// several nodes on one database, a job that needs doing once per period is done once.
    public func takeTurn(_ job: String, every interval: TimeInterval, now: Date = Date()) throws -> Bool {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO daemon_state (key, value) VALUES (?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE daemon_state.value <= ?
                    """,
                arguments: ["turn:" + job, Store.timestamp(now), Store.timestamp(now.addingTimeInterval(-interval))])
                == 1
        }
    }

    /// The newest build any node sharing this database serves (`noteBuild`): a node serving an older one
    /// says so in `/healthz`, since its readers see other lessons than the rest.
    public func newestBuild() throws -> Date? {
        try read { try String.fetchOne($0, sql: "SELECT value FROM daemon_state WHERE key = 'build:newest'") }
            .flatMap(Store.date(fromTimestamp:))
    }

    /// Records that this node serves the build of `builtAt`, when it is newer than any recorded: a write only
    /// when a node starts serving a new build, not at every heartbeat (each write tells every node's caches).
    public func noteBuild(_ builtAt: Date) throws {
        if let newest = try newestBuild(), newest >= builtAt { return }
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO daemon_state (key, value) VALUES ('build:newest', ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE daemon_state.value < excluded.value
                    """, arguments: [Store.timestamp(builtAt)])
        }
    }

    public func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try engine.read(body)
    }

    /// A read without a surrounding transaction, for one statement (the gate's per-request grant check).
    func readOneStatement<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try engine.readOneStatement(body)
    }

    /// Timestamps are stored as ISO 8601 UTC text with milliseconds ("2026-11-21T21:09:05.403Z"):
    /// sortable as text, readable in `sqlite3`. Formatted by hand: creating an ISO8601DateFormatter
    /// per call (ICU) was 29 % of the daemon's CPU under webhook load.
    package static func timestamp(_ date: Date) -> String {
        // Clamped to years 1970–9999: a date computed from input (a drip delay, a provider's time)
        // must not overflow the conversion below.
        let millis = Int64((date.secondsInCalendarRange * 1000).rounded(.down))
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
            + ".\(pad(Int32(millis % 1000), 3))Z"
    }

    /// The inverse of `timestamp`; nil for text it did not write.
    static func date(fromTimestamp text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[23] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int32(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19), let millis = number(20..<23)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)) + TimeInterval(millis) / 1000)
    }

    /// "  Ada@Example.COM " → "ada@example.com".
    public static func normalizeEmail(_ email: String) -> String { EmailAddress.normalize(email) }
}
