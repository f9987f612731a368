import Foundation

/// Personal data kept no longer than it is useful. A webhook's raw body (the buyer's name, address,
/// e-mail) serves debugging and disputes for a while; after `[daemon] raw_body_retention` it is
/// emptied, while the event row itself stays so that a late duplicate is still recognised. A checkout
/// lecternd placed (Alipay, WeChat Pay) holds the buyer's address too: it goes after the same time (its
/// order, once paid, keeps what the creator needs; providers stop notifying within days).
public enum Retention {
    /// Empties raw bodies received and deletes checkouts placed before `now - age`; returns how many.
    @discardableResult
    public static func purgeRawBodies(in store: Store, olderThan age: TimeInterval, now: Date = Date()) throws -> Int {
        try store.write { db in
            try db.execute(
                sql: "UPDATE webhook_events SET raw_body = ? WHERE received_at < ? AND length(raw_body) > 0",
                arguments: [Data(), Store.timestamp(now.addingTimeInterval(-age))])
            let emptied = db.changesCount
            try db.execute(
                sql: "DELETE FROM checkouts WHERE created_at < ?",
                arguments: [Store.timestamp(now.addingTimeInterval(-age))])
            return emptied + db.changesCount
        }
    }
}
