import Crypto
import Foundation
import LecternCore

/// Rate limits shared by every node on one database (`[daemon] resend_per_address`, downloads, checkouts,
/// claims): a count per key and fixed window, so N nodes behind a balancer allow what one would, not N times
/// it. Keys are stored as SHA-256 (they hold e-mail and client addresses) and forgotten with the retention
/// pass. A fixed window allows up to twice the limit across a window's edge, which for limits of a few an
/// hour is the price of one statement per request.
public struct RateCounters: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// Counts one action for `key`; whether it is within `limit` for the current window of `window` seconds,
    /// and if not, how many seconds until the next.
    public func spend(
        _ key: String, limit: Int, window: TimeInterval, now: Date = Date()
    ) throws -> (
        allowed: Bool, retryAfter: Int
    ) {
        // The clock's own time, clamped: windows are whole seconds since 1970.
        let seconds = Int64(now.secondsInCalendarRange)
        let width = Int64(max(1, min(window, 86_400 * 366)))
        let start = seconds - seconds % width
        let digest = Hex.string(SHA256.hash(data: Data(key.utf8)))
        let count = try store.engine.writeOneStatement { db in
            try Int64.fetchOne(
                db,
                sql: """
                    INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1)
                    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
                    RETURNING count
                    """, arguments: [digest, start])
        }
        return ((count ?? 1) <= Int64(limit), Int(start + width - seconds))
    }

    /// Forgets windows that ended before `now - age`.
    @discardableResult
    public func purge(olderThan age: TimeInterval, now: Date = Date()) throws -> Int {
        let cutoff = Int64(now.addingTimeInterval(-age).secondsInCalendarRange)
        return try store.write { db in
            try db.execute(sql: "DELETE FROM rate_counters WHERE window_start < ?", arguments: [cutoff])
        }
    }
}
