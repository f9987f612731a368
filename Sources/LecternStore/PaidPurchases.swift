import Foundation
import GRDB

/// The builder's one read of the daemon's database: which products each buyer has paid for, for
/// related courses' co-purchases. Read-only, its own short-lived connection; a site without a
/// daemon (no file yet) or with an unreadable one simply has no purchases.
public enum PaidPurchases {
    /// Products bought and kept (status paid), one set per buyer.
    public static func baskets(databasePath: String) -> [Set<String>] {
        guard FileManager.default.fileExists(atPath: databasePath) else { return [] }
        var configuration = Configuration()
        configuration.readonly = true
        guard let queue = try? DatabaseQueue(path: databasePath, configuration: configuration),
            let rows = try? queue.read({
                try Row.fetchAll(
                    $0, sql: "SELECT DISTINCT buyer_id, product FROM orders WHERE status = ?",
                    arguments: [OrderStatus.paid.rawValue])
            })
        else { return [] }
        var bought: [Int64: Set<String>] = [:]
        for row in rows {
            if let buyer: Int64 = row["buyer_id"], let product: String = row["product"] {
                bought[buyer, default: []].insert(product)
            }
        }
        return Array(bought.values)
    }
}
