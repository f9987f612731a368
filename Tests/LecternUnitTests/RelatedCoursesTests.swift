import Foundation
import GRDB
import LecternTestSupport
import Testing

@testable import LecternBuild
@testable import LecternStore

/// Related courses: text similarity first, tags and co-purchases adjust; shown on landing pages.
struct RelatedCoursesTests {
    let courses = [
        RelatedCourses.Input(
            slug: "sqlite", tags: ["databases"],
            text: "SQLite schema transactions WAL journal indexes backup queries tables"),
        RelatedCourses.Input(
            slug: "postgres", tags: ["databases"],
            text: "PostgreSQL schema transactions indexes vacuum replication queries tables"),
        RelatedCourses.Input(
            slug: "bread", tags: ["cooking"], text: "Sourdough starter flour water salt proofing oven crust crumb"),
        RelatedCourses.Input(
            slug: "pasta", tags: ["cooking"], text: "Fresh pasta flour eggs semolina rolling drying sauce water salt"),
    ]

    @Test func similarTextAndTagsRankFirst() {
        let related = RelatedCourses.compute(courses)
        #expect(related["sqlite"]?.first == "postgres")
        #expect(related["bread"]?.first == "pasta")
        #expect(!(related["sqlite"] ?? []).contains("bread"), "nothing in common: not related")
    }

    @Test func coPurchasesBoost() {
        let related = RelatedCourses.compute(courses, coPurchases: ["sqlite": ["bread": 9], "bread": ["sqlite": 9]])
        #expect(related["sqlite"]?.contains("bread") == true)
    }

    @Test func landingPagesShowRelatedCoursesWithCoPurchasesFromTheStore() throws {
        let site = try TempSite(withExampleContent: true)
        try site.write(
            "content/postgres-basics/_index.md",
            "---\ntitle: PostgreSQL basics\nsummary: Schemas, transactions and indexes in PostgreSQL.\nprice: \"20.00\"\ntags: [databases]\n---\nA database course: schema design, transactions, indexes, backups.\n"
        )
        try site.write(
            "content/postgres-basics/01-a.md", lesson("Transactions", body: "Transactions and indexes in a schema."))
        try site.write(
            "content/knitting/_index.md",
            "---\ntitle: Knitting\nsummary: Yarn and needles.\nprice: \"20.00\"\ntags: [crafts]\n---\nScarves and hats for beginners.\n"
        )
        try site.write("content/knitting/01-a.md", lesson("Cast on", body: "Yarn, needles, a slip knot."))
        try site.build()
        let landing = try site.read("public/courses/practical-sqlite/index.html")
        #expect(
            landing.contains("Related courses") && landing.contains("href=\"/courses/postgres-basics/\"")
                && !landing.contains("/courses/knitting/"))

        // Buyers of both SQLite and knitting, recorded by the daemon: knitting becomes related.
        let store = try Store(path: site.root.appendingPathComponent("lectern.sqlite").path)
        try store.write { db in
            for index in 0..<3 {
                let buyer = try Ledger(db).buyer(email: "b\(index)@example.com", now: Date())
                for (n, product) in ["practical-sqlite", "knitting"].enumerated() {
                    try db.execute(
                        sql: """
                            INSERT INTO orders (provider, provider_order_id, buyer_id, product, amount, currency, status, created_at, updated_at)
                            VALUES ('stripe', ?, ?, ?, 100, 'USD', 'paid', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
                            """, arguments: ["o\(index)-\(n)", buyer, product])
                }
            }
        }
        try site.build()
        #expect(try site.read("public/courses/practical-sqlite/index.html").contains("href=\"/courses/knitting/\""))
    }
}
