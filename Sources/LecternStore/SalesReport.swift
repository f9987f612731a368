import Foundation
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

    /// One currency's money, from the amounts each order records (`lectern sales`, "Totals"). Flagged orders
    /// (not granted) are left out. Gross is before discounts and without tax, so both tax modes add up alike:
    /// gross − discounts = what buyers paid − tax; net is that, less refunds, for orders still kept.
    public struct CurrencyLine: Sendable, Equatable {
        public var currency: String
        public var orders: Int
        public var gross: Int
        public var discounts: Int
        /// Tax collected on orders kept (the part owed to a tax authority).
        public var tax: Int
        /// Money given back: refunded and disputed orders in full, and partial refunds of orders kept.
        public var refunds: Int
        public var net: Int
    }

    public var since: String?
    public var currencies: [CurrencyLine] = []
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
            let courses = try SQLRow.fetchAll(
                db,
                sql: """
                    SELECT product, upper(currency) AS currency, COUNT(*) AS orders,
                      SUM(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END) AS refunded,
                      SUM(CASE WHEN status = 'disputed' THEN 1 ELSE 0 END) AS disputed,
                      SUM(CASE WHEN status = 'flagged' THEN 1 ELSE 0 END) AS flagged,
                      SUM(CASE WHEN status = 'paid' THEN amount ELSE 0 END) AS net,
                      SUM(CASE WHEN status IN ('refunded', 'disputed') THEN amount ELSE 0 END) AS reversed
                    FROM orders WHERE created_at >= ? GROUP BY product, upper(currency) ORDER BY net DESC, product
                    """, arguments: [from]
            ).map {
                CourseLine(
                    product: $0["product"], currency: $0["currency"], orders: $0["orders"], refunded: $0["refunded"],
                    disputed: $0["disputed"], flagged: $0["flagged"], net: $0["net"], reversed: $0["reversed"])
            }
            let days = try SQLRow.fetchAll(
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
                          GROUP BY buyer_id HAVING COUNT(DISTINCT product) > 1) AS repeat_buyers
                        """, arguments: [from]) ?? 0
            let currencies = try SQLRow.fetchAll(
                db,
                sql: """
                    SELECT upper(currency) AS currency, COUNT(*) AS orders,
                      SUM(amount + discount_amount - tax_amount) AS gross, SUM(discount_amount) AS discounts,
                      SUM(CASE WHEN status = 'paid' THEN tax_amount ELSE 0 END) AS tax,
                      SUM(CASE WHEN status = 'paid' THEN refunded_amount ELSE amount END) AS refunds,
                      SUM(CASE WHEN status = 'paid' THEN amount - tax_amount - refunded_amount ELSE 0 END) AS net
                    FROM orders WHERE created_at >= ? AND status != 'flagged'
                    GROUP BY upper(currency) ORDER BY currency
                    """, arguments: [from]
            ).map {
                CurrencyLine(
                    currency: $0["currency"], orders: $0["orders"], gross: $0["gross"], discounts: $0["discounts"],
                    tax: $0["tax"], refunds: $0["refunds"], net: $0["net"])
            }
            return SalesReport(
                since: since, currencies: currencies, courses: courses, days: days, buyers: buyers,
                repeatBuyers: repeats)
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
        out += "currency\torders\tgross\tdiscounts\ttax\trefunds\tnet\n"
        for line in currencies {
            let money = [line.gross, line.discounts, line.tax, line.refunds, line.net].map {
                Self.money($0, line.currency)
            }
            out += "\(line.currency)\t\(line.orders)\t" + money.joined(separator: "\t") + "\n"
        }
        out += "\ncourse\tcurrency\torders\trefunded\tdisputed\tflagged\tnet revenue\treversed\n"
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
