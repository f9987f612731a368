import Foundation
import GRDB
import LecternCore

/// `lectern sales`: revenue by course and by day, refunds and disputes, and how many orders were kept,
/// from the daemon's order table. Amounts stay in minor units per currency (never summed across
/// currencies). "Kept" is the share of orders not refunded or disputed: Lectern's static pages record
/// no visits, so conversion is measured from checkout on.
public struct SalesReport: Sendable, Equatable {
    public struct CourseLine: Sendable, Equatable {
        public var product: String
        public var currency: String
        public var orders: Int
        public var refunded: Int
        public var disputed: Int
        public var flagged: Int
        /// Paid and kept, in minor units.
        public var net: Int
        /// Refunded or disputed, in minor units.
        public var reversed: Int
    }

    public struct DayLine: Sendable, Equatable {
        public var day: String
        public var currency: String
        public var orders: Int
        public var net: Int
    }

    public var since: String?
    public var courses: [CourseLine]
    public var days: [DayLine]
    public var buyers: Int
    /// Buyers with orders for more than one course.
    public var repeatBuyers: Int

    public var orders: Int { courses.reduce(0) { $0 + $1.orders } }
    public var keptShare: Double {
        let total = orders
        return total == 0 ? 0 : Double(total - courses.reduce(0) { $0 + $1.refunded + $1.disputed }) / Double(total)
    }

    /// - Parameter since: `YYYY-MM-DD`; orders created on or after that day.
    public static func load(from store: Store, since: String? = nil) throws -> SalesReport {
        let from = since ?? "0000"
        return try store.read { db in
            let courses = try Row.fetchAll(
                db,
                sql: """
                    SELECT product, upper(currency) AS currency, COUNT(*) AS orders,
                      SUM(status = 'refunded') AS refunded, SUM(status = 'disputed') AS disputed,
                      SUM(status = 'flagged') AS flagged,
                      SUM(CASE WHEN status = 'paid' THEN amount ELSE 0 END) AS net,
                      SUM(CASE WHEN status IN ('refunded', 'disputed') THEN amount ELSE 0 END) AS reversed
                    FROM orders WHERE created_at >= ? GROUP BY product, upper(currency) ORDER BY net DESC, product
                    """, arguments: [from]
            ).map {
                CourseLine(
                    product: $0["product"], currency: $0["currency"], orders: $0["orders"], refunded: $0["refunded"],
                    disputed: $0["disputed"], flagged: $0["flagged"], net: $0["net"], reversed: $0["reversed"])
            }
            let days = try Row.fetchAll(
                db,
                sql: """
                    SELECT substr(created_at, 1, 10) AS day, upper(currency) AS currency, COUNT(*) AS orders,
                      SUM(CASE WHEN status = 'paid' THEN amount ELSE 0 END) AS net
                    FROM orders WHERE created_at >= ? GROUP BY day, upper(currency) ORDER BY day, currency
                    """, arguments: [from]
            ).map { DayLine(day: $0["day"], currency: $0["currency"], orders: $0["orders"], net: $0["net"]) }
            let buyers =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(DISTINCT buyer_id) FROM orders WHERE created_at >= ?", arguments: [from])
                ?? 0
            let repeats =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM (
                          SELECT buyer_id FROM orders WHERE created_at >= ?
                          GROUP BY buyer_id HAVING COUNT(DISTINCT product) > 1)
                        """, arguments: [from]) ?? 0
            return SalesReport(since: since, courses: courses, days: days, buyers: buyers, repeatBuyers: repeats)
        }
    }

    package static func money(_ minor: Int, _ currency: String) -> String {
        Money(minorUnits: minor, currency: currency).display
    }

    /// The terminal form: tab-separated tables a creator can also paste into a spreadsheet.
    public func text() -> String {
        var out =
            "Sales\(since.map { " since \($0)" } ?? ""): \(orders) orders from \(buyers) buyers, "
            + String(format: "%.1f%% kept", keptShare * 100) + ", \(repeatBuyers) bought more than one course\n\n"
        out += "course\tcurrency\torders\trefunded\tdisputed\tflagged\tnet revenue\treversed\n"
        for line in courses {
            out +=
                "\(line.product)\t\(line.currency)\t\(line.orders)\t\(line.refunded)\t"
                + "\(line.disputed)\t\(line.flagged)\t"
                + "\(Self.money(line.net, line.currency))\t\(Self.money(line.reversed, line.currency))\n"
        }
        out += "\nday\tcurrency\torders\tnet revenue\n"
        for day in days { out += "\(day.day)\t\(day.currency)\t\(day.orders)\t\(Self.money(day.net, day.currency))\n" }
        return out
    }
}
