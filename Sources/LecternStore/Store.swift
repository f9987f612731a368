import Foundation
import GRDB
import LecternCore

/// The daemon's SQLite database: buyers, orders, grants, webhook events and the e-mail outbox.
///
/// One file (default `lectern.sqlite` beside `lectern.toml`), WAL mode so readers (CLI, gate) never
/// block the writer, foreign keys on, and `synchronous = FULL`: a webhook is acknowledged only after
/// its transaction is on disk, so a power cut cannot lose an event the provider will not resend.
/// A `DatabasePool`: one writer connection plus concurrent readers, so the gate's grant checks run
/// on all cores while a webhook commits.
public final class Store: Sendable {
    public let path: String
    let queue: DatabasePool
    private let writeOutcome = Locked(WriteOutcome(succeeded: true, at: Date(), reason: nil))

    /// - Parameter busyTimeout: how long a write waits for a lock another process holds before it fails
    ///   (and the webhook is answered 503, to be retried).
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        self.path = path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // DatabasePool sets WAL itself; FULL makes each commit durable before it returns.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            try Self.restrictPermissions(path)
            queue = try DatabasePool(path: path, configuration: configuration)
            try Store.migrator.migrate(queue)
        } catch {
            throw LecternError(
                .store, file: path, "cannot open the database (\(error))",
                hint: "check the permissions of the file and of its `-wal` and `-shm` files beside it (a start "
                    + "refused on a read-only database can leave `-shm` read-only: make all three writable by "
                    + "this user); `--db PATH` picks another file")
        }
    }

    /// The database holds buyers' addresses and grants: owner-only (0600). Creating the file first with
    /// that mode matters because SQLite gives its `-wal` and `-shm` files the main file's mode; files
    /// made 0644 by an older version are tightened here too.
    static func restrictPermissions(_ path: String) throws {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor) }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
    }

    /// Fails when the database cannot be read (`/healthz`).
    public func check() throws {
        _ = try read { try Int.fetchOne($0, sql: "SELECT 1") }
    }

    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            let result = try queue.write(body)
            noteWrite(nil)
            return result
        } catch let error as DatabaseError {
            noteWrite(error)  // the database refused: full, locked, read-only
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
            try db.executeCached(
                sql: """
                    INSERT INTO daemon_state (key, value) VALUES ('heartbeat', ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, arguments: [Store.timestamp(now)])
        }
    }

    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.read(body)
    }

    /// A read without a surrounding transaction: for one statement, which SQLite runs atomically
    /// anyway. Saves the BEGIN/COMMIT pair on the gate's per-request grant check.
    func readOneStatement<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.unsafeRead(body)
    }

    /// Versioned schema. Never edit a shipped migration: add the next one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE buyers (
                      id INTEGER PRIMARY KEY,
                      email TEXT NOT NULL UNIQUE,
                      created_at TEXT NOT NULL
                    );
                    CREATE TABLE orders (
                      id INTEGER PRIMARY KEY,
                      provider TEXT NOT NULL,
                      provider_order_id TEXT NOT NULL,
                      payment_ref TEXT,
                      buyer_id INTEGER NOT NULL REFERENCES buyers(id),
                      product TEXT NOT NULL,
                      amount INTEGER NOT NULL,
                      currency TEXT NOT NULL,
                      status TEXT NOT NULL CHECK (status IN ('paid', 'refunded', 'disputed', 'flagged')),
                      flag TEXT,
                      created_at TEXT NOT NULL,
                      updated_at TEXT NOT NULL,
                      UNIQUE (provider, provider_order_id)
                    );
                    CREATE INDEX orders_by_payment ON orders (provider, payment_ref);
                    CREATE TABLE grants (
                      id INTEGER PRIMARY KEY,
                      buyer_id INTEGER NOT NULL REFERENCES buyers(id),
                      order_id INTEGER REFERENCES orders(id),
                      product TEXT NOT NULL,
                      starts_at TEXT NOT NULL,
                      ends_at TEXT,
                      revoked_at TEXT,
                      reason TEXT,
                      subscription_ref TEXT,
                      state_at TEXT
                    );
                    CREATE INDEX grants_by_buyer ON grants (buyer_id);
                    CREATE INDEX grants_by_subscription ON grants (subscription_ref);
                    CREATE TABLE webhook_events (
                      id INTEGER PRIMARY KEY,
                      provider TEXT NOT NULL,
                      event_id TEXT NOT NULL,
                      type TEXT NOT NULL,
                      received_at TEXT NOT NULL,
                      raw_body BLOB NOT NULL,
                      result TEXT NOT NULL,
                      UNIQUE (provider, event_id)
                    );
                    CREATE TABLE pending_reversals (
                      id INTEGER PRIMARY KEY,
                      provider TEXT NOT NULL,
                      payment_ref TEXT NOT NULL,
                      kind TEXT NOT NULL CHECK (kind IN ('refunded', 'disputed')),
                      event_id TEXT NOT NULL,
                      received_at TEXT NOT NULL
                    );
                    CREATE INDEX pending_by_payment ON pending_reversals (provider, payment_ref);
                    CREATE TABLE outbox (
                      id INTEGER PRIMARY KEY,
                      recipient TEXT NOT NULL,
                      subject TEXT NOT NULL,
                      body TEXT NOT NULL,
                      attempts INTEGER NOT NULL DEFAULT 0,
                      next_attempt_at TEXT NOT NULL,
                      sent_at TEXT,
                      last_error TEXT,
                      created_at TEXT NOT NULL
                    );
                    CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
                    """)
        }
        migrator.registerMigration("v2-security") { db in
            // Lectern's own order number (printed in the visible stamp instead of a provider's id, which
            // is a credential at some providers), the single-use checkout claim, and no stored link
            // in e-mails already sent.
            try db.execute(
                sql: """
                    ALTER TABLE orders ADD COLUMN number TEXT;
                    ALTER TABLE orders ADD COLUMN claimed_at TEXT;
                        UPDATE outbox SET body = '' WHERE sent_at IS NOT NULL;
                    """)
            // 40 random bits each; drawn again on the rare repeat, so the unique index below cannot fail.
            var taken = Set<String>()
            for id in try Int64.fetchAll(db, sql: "SELECT id FROM orders") {
                var number = OrderNumber.random()
                while !taken.insert(number).inserted { number = OrderNumber.random() }
                try db.execute(sql: "UPDATE orders SET number = ? WHERE id = ?", arguments: [number, id])
            }
            try db.execute(sql: "CREATE UNIQUE INDEX orders_by_number ON orders (number)")
        }
        migrator.registerMigration("v3-health") { db in
            // One row per fact the daemon keeps about itself: the heartbeat is the write `/healthz` relies
            // on when nothing else was written lately (a full disk or a held lock shows up here).
            try db.execute(sql: "CREATE TABLE daemon_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        }
        migrator.registerMigration("v4-checkouts") { db in
            // Orders lecternd places itself (Alipay, WeChat Pay): what was asked for, before the provider
            // says it was paid; and what was given back of a payment whose access stays (a partial refund).
            try db.execute(
                sql: """
                    CREATE TABLE checkouts (
                      id INTEGER PRIMARY KEY,
                      provider TEXT NOT NULL,
                      out_trade_no TEXT NOT NULL UNIQUE,
                      product TEXT NOT NULL,
                      email TEXT NOT NULL,
                      amount INTEGER NOT NULL,
                      currency TEXT NOT NULL,
                      created_at TEXT NOT NULL
                    );
                    ALTER TABLE orders ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        migrator.registerMigration("v5-library") { db in
            // What a buyer has read, per course, kept on the server so it follows them to every device.
            try db.execute(
                sql: """
                    CREATE TABLE progress (
                      buyer_id INTEGER NOT NULL REFERENCES buyers(id),
                      course TEXT NOT NULL,
                      lesson TEXT NOT NULL,
                      read_at TEXT NOT NULL,
                      PRIMARY KEY (buyer_id, course, lesson)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v6-letters") { db in
            // A link e-mail is queued as what it is about (its kind and grant), and written when it is sent:
            // no signed link rests in the database, and letters to one buyer due together go out as one.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN kind TEXT;
                    ALTER TABLE outbox ADD COLUMN grant_id INTEGER;
                    """)
        }
        migrator.registerMigration("v7-sessions") { db in
            // The browsers each buyer is signed in on, and the networks (/24, /48) each was seen from per day.
            try db.execute(
                sql: """
                    CREATE TABLE sessions (
                      id TEXT PRIMARY KEY,
                      buyer_id INTEGER NOT NULL REFERENCES buyers(id),
                      grant_id INTEGER NOT NULL,
                      started_at TEXT NOT NULL,
                      last_seen_at TEXT NOT NULL,
                      network TEXT NOT NULL,
                      browser TEXT NOT NULL,
                      ended_at TEXT,
                      ended_reason TEXT
                    );
                    CREATE INDEX sessions_by_buyer ON sessions (buyer_id, ended_at);
                    CREATE TABLE session_sightings (
                      session_id TEXT NOT NULL,
                      day TEXT NOT NULL,
                      network TEXT NOT NULL,
                      PRIMARY KEY (session_id, day, network)
                    ) WITHOUT ROWID;
                    CREATE INDEX session_sightings_by_day ON session_sightings (day);
                    """)
        }
        migrator.registerMigration("v8-order-money") { db in
            // `amount` stays what the buyer paid; the provider's discount and the tax it added beside it.
            try db.execute(
                sql: """
                    ALTER TABLE orders ADD COLUMN discount_amount INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE orders ADD COLUMN tax_amount INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        migrator.registerMigration("v9-subscriptions") { db in
            // A subscription's latest state by the provider's time, kept apart from its grants so a state that
            // arrives before the purchase is applied to it; and the other ids a provider's refunds name.
            try db.execute(
                sql: """
                    CREATE TABLE subscription_states (
                      provider TEXT NOT NULL,
                      ref TEXT NOT NULL,
                      status TEXT NOT NULL,
                      ends_at TEXT,
                      state_at TEXT NOT NULL,
                      order_id TEXT,
                      PRIMARY KEY (provider, ref)
                    ) WITHOUT ROWID;
                    CREATE INDEX subscription_states_by_order ON subscription_states (provider, order_id);
                    CREATE TABLE payment_aliases (
                      provider TEXT NOT NULL,
                      alias TEXT NOT NULL,
                      target TEXT NOT NULL,
                      PRIMARY KEY (provider, alias)
                    ) WITHOUT ROWID;
                    INSERT OR IGNORE INTO subscription_states (provider, ref, status, ends_at, state_at)
                      SELECT o.provider, g.subscription_ref, CASE WHEN g.ends_at IS NULL THEN 'active' ELSE 'ended' END,
                        g.ends_at, g.state_at
                      FROM grants g JOIN orders o ON o.id = g.order_id
                      WHERE g.subscription_ref IS NOT NULL AND g.state_at IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v10-gifts") { db in
            // A gift's recipient and delivery day, kept with the order the giver paid (so `lectern approve`
            // of a flagged gift still gives it to the recipient).
            try db.execute(
                sql: """
                    ALTER TABLE orders ADD COLUMN gift_to TEXT;
                    ALTER TABLE orders ADD COLUMN gift_date TEXT;
                    """)
        }
        migrator.registerMigration("v11-order-subscription") { db in
            // The subscription an order started (so `lectern approve` of a flagged free trial keeps it one).
            try db.execute(sql: "ALTER TABLE orders ADD COLUMN subscription_ref TEXT")
        }
        return migrator
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

extension Database {
    /// `execute(sql:arguments:)` with the statement compiled once per connection: the webhook writer
    /// runs the same few statements thousands of times, and compiling (with GRDB's authorizer) was a
    /// large share of the single writer's time.
    func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
