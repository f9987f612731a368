import Foundation
import GRDB
import LecternTestSupport
import Testing

@testable import LecternStore

/// `lectern sales` figures against a seeded database.
struct SalesReportTests {
    func seededStore(in site: TempSite) throws -> Store {
        let store = try site.testStore()
        // (buyer, product, amount, currency, status, day)
        let orders: [(String, String, Int, String, String, String)] = [
            ("a", "sqlite", 4900, "USD", "paid", "2026-11-01"), ("b", "sqlite", 4900, "USD", "paid", "2026-11-01"),
            ("c", "sqlite", 4900, "USD", "refunded", "2026-11-02"),
            ("a", "postgres", 2900, "USD", "paid", "2026-11-02"),
            ("d", "postgres", 2900, "USD", "disputed", "2026-11-03"),
            ("e", "sqlite", 4500, "EUR", "paid", "2026-11-03"),
            ("f", "sqlite", 100, "USD", "flagged", "2026-10-20"),
        ]
        try store.write { db in
            for (index, order) in orders.enumerated() {
                let buyer = try Ledger(db).buyer(email: "\(order.0)@example.com", now: Date())
                try db.execute(
                    sql: """
                        INSERT INTO orders (provider, provider_order_id, buyer_id, product, amount, currency, status, created_at, updated_at)
                        VALUES ('stripe', ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        "o\(index)", buyer, order.1, order.2, order.3, order.4, "\(order.5)T10:00:00.000Z",
                        "\(order.5)T10:00:00.000Z",
                    ])
            }
        }
        return store
    }

    @Test func figuresByCourseAndDay() throws {
        let site = try TempSite(withExampleContent: true)
        let report = try SalesReport.load(from: try seededStore(in: site), since: "2026-11-01")
        #expect(report.orders == 6 && report.buyers == 5 && report.repeatBuyers == 1)
        #expect(abs(report.keptShare - 4.0 / 6.0) < 1e-9)
        let sqlite = try #require(report.courses.first { $0.product == "sqlite" && $0.currency == "USD" })
        #expect(sqlite.orders == 3 && sqlite.refunded == 1 && sqlite.net == 9800 && sqlite.reversed == 4900)
        let postgres = try #require(report.courses.first { $0.product == "postgres" })
        #expect(postgres.disputed == 1 && postgres.net == 2900 && postgres.reversed == 2900)
        #expect(report.courses.contains { $0.currency == "EUR" && $0.net == 4500 })
        #expect(
            report.days.map { "\($0.day) \($0.currency) \($0.net)" } == [
                "2026-11-01 USD 9800", "2026-11-02 USD 2900", "2026-11-03 EUR 4500", "2026-11-03 USD 0",
            ])
        // Without --since the flagged October order counts too.
        #expect(
            try SalesReport.load(from: try site.testStore()).orders
                == 7)
    }

    @Test func commandPrintsTablesAndWritesAStandaloneHTMLReport() throws {
        let site = try TempSite(withExampleContent: true)
        _ = try seededStore(in: site)
        try site.write("lectern.toml", try site.read("lectern.toml") + "\n[daemon]\n" + (try site.databaseSetting()))
        let html = site.root.appendingPathComponent("sales.html")
        let run = try runProgram(
            try #require(CommandLineTests.binary).path,
            ["sales", "--root", site.root.path, "--since", "2026-11-01", "--html", html.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains("6 orders from 5 buyers, 66.7% kept")
                && run.stdout.contains("sqlite\tUSD\t3\t1\t0\t0\t$98.00\t$49.00"))
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("<svg role=\"img\"") && page.contains("<title>sqlite: $98.00</title>"))
        #expect(
            !page.contains("<script") && !page.contains("http://") && !page.contains("https://"),
            "the report must be self-contained")
        #expect(
            try runProgram(
                try #require(CommandLineTests.binary).path, ["sales", "--root", site.root.path, "--since", "yesterday"]
            ).status == 2)
    }
}
