import Foundation
import GRDB

/// Personal data kept no longer than it is useful. A webhook's raw body (the buyer's name, address,
/// e-mail) serves debugging and disputes for a while; after `[daemon] raw_body_retention` it is
/// emptied, while the event row itself stays so that a late duplicate is still recognised.
public enum Retention {
    /// Empties raw bodies received before `now - age`; returns how many.
    @discardableResult
    public static func purgeRawBodies(in store: Store, olderThan age: TimeInterval, now: Date = Date()) throws -> Int {
        try store.write { db in
            try db.execute(
                sql: "UPDATE webhook_events SET raw_body = x'' WHERE received_at < ? AND length(raw_body) > 0",
                arguments: [Store.timestamp(now.addingTimeInterval(-age))])
            return db.changesCount
        }
    }
}
