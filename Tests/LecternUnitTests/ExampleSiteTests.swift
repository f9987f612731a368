import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild
@testable import LecternConfig
@testable import LecternCore

/// The example course shipped in content/ is what a new user sees first: it must build and show off
/// every feature the issue promises.
@Suite struct ExampleSiteTests {
    @Test func exampleCourseHasTheAdvertisedShape() throws {
        let config = try SiteConfig.load(root: repoRoot)
        let catalog = try ContentLoader(config: config).load()
        let course = try #require(catalog.courses.first)
        #expect(course.lessons.count >= 6)
        #expect(course.lessons.filter(\.isFree).count >= 2)
        let all = course.lessons.map(\.body).joined(separator: "\n")
        #expect(
            all.contains("|---") && all.contains("```") && all.contains("- [ ]") && all.contains("[^")
                && all.contains("!["))
        #expect(course.price == Money(minorUnits: 4900, currency: "USD"))
    }

    /// An all-access subscription opens every course (those added later too) and is sold per month.
    @Test func allAccessOpensEveryCourseAndShowsItsBillingPeriod() throws {
        let site = try TempSite(withExampleContent: true)
        try site.write(
            "lectern.toml",
            try site.read("lectern.toml")
                + "\n[products.all-access]\ntitle = \"All access\"\nprice = \"9.00\"\ninterval = \"month\"\nall_courses = true\n"
        )
        _ = try site.build()
        let manifest = try BuildManifest.load(from: site.root.appendingPathComponent("paid/manifest.json"))
        #expect(manifest.courses.allSatisfy { $0.isOpened(by: "all-access") })
        #expect(try site.read("public/bundles/all-access/index.html").contains("Subscribe · $9.00 / month"))
        let toml = try site.read("lectern.toml")
        try site.write("lectern.toml", toml.replacingOccurrences(of: "\"month\"", with: "\"fortnight\""))
        let interval = lecternError { _ = try site.build() }
        #expect(interval?.message.contains("must be week, month or year") == true, "\(String(describing: interval))")
        try site.write("lectern.toml", toml + "courses = [\"practical-sqlite\"]\n")
        #expect(lecternError { _ = try site.build() }?.message.contains("both `all_courses` and `courses`") == true)
    }

    @Test func buildWritesPrettyURLsFeedsAndManifest() throws {
        let site = try TempSite(withExampleContent: true)
        let report = try site.build()
        // Practical SQLite (2 free, 5 paid lessons) and the Chinese course (2 free, 3 paid); with the two landing
        // pages, the home, 404 and library pages, and the two products' pages.
        #expect(report.courses == 2 && report.paidPages == 8 && report.publicPages == 11)

        for page in [
            "index.html", "404.html", "courses/practical-sqlite/index.html",
            "courses/practical-sqlite/why-sqlite/index.html", "courses/practical-sqlite/first-database/index.html",
            "courses/practical-sqlite/images/file-layout.svg", "style.css", "sitemap.xml", "feed.xml",
        ] {
            #expect(site.exists("public/\(page)"), "missing public/\(page)")
        }
        let landing = try site.read("public/courses/practical-sqlite/index.html")
        #expect(landing.contains("href=\"https://buy.example.com/checkout/practical-sqlite\""))
        #expect(landing.contains("$49.00"))
        #expect(landing.contains("href=\"/learn/practical-sqlite/transactions/\""), "paid lessons link to the gate")
        #expect(landing.contains("class=\"locked\""))

        let free = try site.read("public/courses/practical-sqlite/first-database/index.html")
        #expect(free.contains("rel=\"prev\" href=\"/courses/practical-sqlite/why-sqlite/\""))
        #expect(free.contains("rel=\"next\" href=\"/learn/practical-sqlite/schema-design/\""))
        #expect(free.contains("src=\"/courses/practical-sqlite/images/file-layout.svg\""))

        let sitemap = try site.read("public/sitemap.xml")
        #expect(sitemap.contains("<loc>http://127.0.0.1:8080/courses/practical-sqlite/why-sqlite/</loc>"))
        #expect(!sitemap.contains("/learn/"), "the sitemap lists only public pages")
        let feed = try site.read("public/feed.xml")
        #expect(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""))
        #expect(
            feed.components(separatedBy: "<entry>").count - 1 == 8, "per course: itself + two free lessons; products")
        let bundle = try site.read("public/bundles/every-course/index.html")
        #expect(bundle.contains("href=\"https://buy.example.com/checkout/every-course\"") && bundle.contains("$59.00"))
        #expect(bundle.contains("href=\"/courses/practical-sqlite/\"") && sitemap.contains("/bundles/every-course/"))
        let pwyw = try site.read("public/bundles/sqlite-pay-what-you-can/index.html")
        #expect(pwyw.contains("Pay what you want, from $9.00") && pwyw.contains("$29.00"))

        let manifest = try BuildManifest.load(from: site.root.appendingPathComponent("paid/manifest.json"))
        #expect(manifest.pages.count { $0.kind != .chapter } == 19)
        // A free lesson's body is also written for the buyer's offline edition (a paid lesson's page holds its own).
        #expect(
            manifest.pages.count { $0.kind == .chapter }
                == manifest.courses.reduce(0) { $0 + $1.lessons.count(where: \.free) })
        for page in manifest.pages {
            let folder = page.kind == .public ? "public" : "paid"
            let data = try Data(contentsOf: site.root.appendingPathComponent("\(folder)/\(page.output)"))
            #expect(BuildManifest.hash(data) == page.sha256, "hash of \(page.output)")
            #expect(
                page.source.hasPrefix("content/") || page.source.hasPrefix("site-template/")
                    || page.source == "lectern.toml")
        }
        #expect(manifest.courses.first?.priceMinorUnits == 4900)
        #expect(manifest.courses.first?.lessons.first { $0.slug == "indexes" }?.availableAfterDays == 7)
    }

    @Test func paidPageIsPreparedForSplicing() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        let data = try Data(contentsOf: site.root.appendingPathComponent("paid/practical-sqlite/transactions.page"))
        let page = try PaidPage.decode(data, file: "transactions.page")
        #expect(page.title == "Transactions and durability")
        #expect(page.markOffsets.count > 40)
        let spliced = page.splice(stamp: "Licensed to ada@example.com", mark: { _ in "\u{2064}" })
        #expect(spliced.contains("<p class=\"watermark\" role=\"note\">Licensed to ada@example.com</p>"))
        // Code samples stay byte-for-byte identical: no mark lands inside <pre>.
        let codeText = spliced.replacingOccurrences(
            of: #"<span class="tok-[a-z]+">"#, with: "", options: .regularExpression
        )
        .replacingOccurrences(of: "</span>", with: "").replacingOccurrences(of: "&#39;", with: "'")
        #expect(
            codeText.contains(
                "BEGIN IMMEDIATE;\nINSERT INTO orders (student_id, amount, currency) VALUES (1, 4900, 'USD');"))
        #expect(
            spliced.replacingOccurrences(of: "\u{2064}", with: "")
                == page.splice(stamp: "Licensed to ada@example.com", mark: { _ in nil }))
        // The lesson's own HTML, as an offline edition takes it: every mark slot, none of the layout.
        let body = try #require(page.splicedBody(mark: { _ in "\u{2064}" }))
        #expect(body.count { $0 == "\u{2064}" } == page.markOffsets.count)
        #expect(body.hasPrefix("<p>") && !body.contains("<aside") && !body.contains("watermark"))
        #expect(
            spliced.replacingOccurrences(of: "\u{2064}", with: "").contains(
                body.replacingOccurrences(of: "\u{2064}", with: "")))
        // A page whose body range leaves its HTML is refused, not trusted.
        var header = try #require(String(data: data, encoding: .utf8))
        header = header.replacingOccurrences(of: "\"bodyEnd\":\(page.bodyEnd ?? 0)", with: "\"bodyEnd\":99999999")
        #expect(throws: LecternError.self) { try PaidPage.decode(Data(header.utf8), file: "bad.page") }
    }
}

@Suite struct PaidPageFormatTests {
    @Test func encodeDecodeRoundTripAndCorruptionIsRefused() throws {
        let page = PaidPage(
            course: "c", lesson: "l", title: "T", availableAfterDays: 3,
            html: "<p>héllo wörld and more</p>\n", stampOffset: 0, markOffsets: [10, 17, 21])
        let data = try page.encoded()
        #expect(try PaidPage.decode(data, file: "x") == page)
        var broken = data
        broken.removeLast(20)  // offsets now point past the end of the HTML
        #expect(
            lecternError { _ = try PaidPage.decode(broken, file: "x.page") }?.message
                == "paid page offsets do not fit its HTML")
        #expect(lecternError { _ = try PaidPage.decode(Data("nonsense".utf8), file: "x.page") } != nil)
    }

    @Test func stampAndMarksSplicedInOrder() {
        let page = PaidPage(
            course: "c", lesson: "l", title: "T", availableAfterDays: nil,
            html: "AB CD EF", stampOffset: 3, markOffsets: [3, 6])
        #expect(page.splice(stamp: "[S]", mark: { "<\($0)>" }) == "AB [S]<0>CD <1>EF")
        #expect(page.splice(stamp: "", mark: { _ in nil }) == "AB CD EF")
    }
}
