import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild
@testable import LecternConfig

/// The catalog's search index holds public pages only, and none of a paid lesson's text.
struct SearchIndexTests {
    @Test func indexHoldsFreePagesAndNoPaidText() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        let data = try Data(contentsOf: site.root.appendingPathComponent("public/search-index.json"))
        let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]])
        let urls = Set(entries.compactMap { $0["u"] })
        #expect(
            urls == [
                "/courses/practical-sqlite/", "/courses/practical-sqlite/why-sqlite/",
                "/courses/practical-sqlite/first-database/", "/courses/zhishi-fufei-xiezuo/",
                "/courses/zhishi-fufei-xiezuo/xuanti/", "/courses/zhishi-fufei-xiezuo/dagang/",
            ])
        let why = try #require(entries.first { $0["u"] == "/courses/practical-sqlite/why-sqlite/" })
        #expect(why["t"] == "Why SQLite" && why["c"] == "Practical SQLite" && (why["x"] ?? "").count > 200)

        // No ten-word run of any paid lesson appears in the index.
        var lint = LeakLint()
        let catalog = try ContentLoader(config: try SiteConfig.load(root: site.root)).load()
        for lesson in catalog.courses.flatMap(\.lessons) where !lesson.isFree {
            lint.addPaid(try MarkdownRenderer().render(lesson.body).plainText, source: lesson.sourcePath)
        }
        for entry in entries {
            #expect(lint.firstQuote(in: entry["x"] ?? "") == nil, "\(entry["u"] ?? "") quotes a paid lesson")
        }
        // The catalog page loads the search script from the site itself.
        #expect(try site.read("public/index.html").contains("<script src=\"/search.js\" defer></script>"))
        #expect(site.exists("public/search.js"))
    }
}
