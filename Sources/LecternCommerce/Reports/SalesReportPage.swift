import Foundation
import LecternCore
import LecternStore

/// The HTML form of `lectern sales --html`: one self-contained file (inline CSS and SVG, no scripts,
/// no external requests) with revenue per day and per course as bar charts.
public struct SalesReportPage {
    public let report: SalesReport
    public let siteTitle: String

    public init(report: SalesReport, siteTitle: String) {
        self.report = report
        self.siteTitle = siteTitle
    }

    public func html() -> String {
        let currencies = Array(Set(report.courses.map(\.currency))).sorted()
        var charts = ""
        for currency in currencies {
            let days = report.days.filter { $0.currency == currency }
            charts +=
                "<h2>Net revenue per day (\(escape(currency)))</h2>\n"
                + barChart(
                    days.map { ($0.day, $0.net) }, currency: currency, label: "Net revenue per day in \(currency)")
            let courses = report.courses.filter { $0.currency == currency }
            charts +=
                "<h2>Net revenue per course (\(escape(currency)))</h2>\n"
                + barChart(
                    courses.map { ($0.product, $0.net) }, currency: currency,
                    label: "Net revenue per course in \(currency)")
        }
        var rows = ""
        for line in report.courses {
            rows +=
                "<tr><th scope=\"row\">\(escape(line.product))</th><td>\(line.orders)</td>"
                + "<td>\(line.refunded)</td><td>\(line.disputed)</td>"
                + "<td>\(line.flagged)</td><td>\(escape(SalesReport.money(line.net, line.currency)))</td>"
                + "<td>\(escape(SalesReport.money(line.reversed, line.currency)))</td></tr>\n"
        }
        var totals = ""
        for line in report.currencies {
            let money = [line.gross, line.discounts, line.tax, line.refunds, line.net].map {
                "<td>\(escape(SalesReport.money($0, line.currency)))</td>"
            }
            totals +=
                "<tr><th scope=\"row\">\(escape(line.currency))</th><td>\(line.orders)</td>"
                + money.joined() + "</tr>\n"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sales · \(escape(siteTitle))</title>
            <style>
            body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;\
             color: #1d1f24; background: #fdfcf9; }
            table { border-collapse: collapse; width: 100%; }\
             th, td { padding: .35rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
            th[scope=row], thead th:first-child { text-align: left; }\
             svg { width: 100%; height: auto; } .bar { fill: #3b4cca; }
            svg text { font: 11px system-ui, sans-serif; fill: #1d1f24; }
            @media (prefers-color-scheme: dark) { body { background: #15171c; color: #e8e6e1; }\
             .bar { fill: #8d9bff; } svg text { fill: #e8e6e1; } }
            </style></head><body>
            <h1>Sales · \(escape(siteTitle))</h1>
            <p>\(report.since.map { "Since \(escape($0)): " } ?? "")<strong>\(report.orders)</strong>\
             orders from <strong>\(report.buyers)</strong> buyers;
            <strong>\(String(format: "%.1f", report.keptShare * 100))%</strong> kept (not refunded or disputed);
            \(report.repeatBuyers) bought more than one course.</p>
            <h2>Totals</h2>
            <table><thead><tr><th>Currency</th><th>Orders</th><th>Gross</th><th>Discounts</th><th>Tax</th>\
            <th>Refunds</th><th>Net</th></tr></thead>
            <tbody>
            \(totals)</tbody></table>
            <p>Gross: list prices before discounts, without tax. Net: what buyers paid, less tax and refunds, \
            before the payment provider's fees. Flagged orders are not counted until approved.</p>
            \(charts)
            <h2>By course</h2>
            <table><thead><tr><th>Course</th><th>Orders</th><th>Refunded</th>\
            <th>Disputed</th><th>Flagged</th><th>Net revenue</th><th>Reversed</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            </body></html>
            """
    }

    /// A horizontal bar per item, scaled to the largest; values printed beside the bars.
    func barChart(_ items: [(String, Int)], currency: String, label: String) -> String {
        let rowHeight = 22
        let labelWidth = 170
        let chartWidth = 560
        let largest = max(1, items.map(\.1).max() ?? 1)
        var svg =
            "<svg role=\"img\" aria-label=\"\(escape(label))\""
            + " viewBox=\"0 0 \(labelWidth + chartWidth + 110) \(max(1, items.count) * rowHeight + 4)\">\n"
        for (index, (name, value)) in items.enumerated() {
            let y = index * rowHeight + 2
            let width = value <= 0 ? 0 : max(1, value * chartWidth / largest)
            svg +=
                "<text x=\"0\" y=\"\(y + 15)\">\(escape(name))</text>"
                + "<rect class=\"bar\" x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(width)\""
                + " height=\"\(rowHeight - 6)\">"
                + "<title>\(escape(name)): \(escape(SalesReport.money(value, currency)))</title></rect>"
                + "<text x=\"\(labelWidth + width + 6)\" y=\"\(y + 15)\">"
                + "\(escape(SalesReport.money(value, currency)))</text>\n"
        }
        return svg + "</svg>\n"
    }

    private func escape(_ text: String) -> String { MarkupEscaping.escape(text) }
}
