import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild
@testable import LecternConfig

/// Fixture sites under Tests/Fixtures: every `valid/` site must build, every `invalid/` site must fail
/// with the message in its `expected-error.txt` (file:line included) and leave no output behind.
@Suite struct FixtureSiteTests {
    static let invalidFixtures: [String] = {
        let dir = fixturesRoot.appendingPathComponent("invalid")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }()

    @Test func thereAreInvalidFixtures() {
        #expect(Self.invalidFixtures.count >= 12)
    }

    @Test(arguments: invalidFixtures)
    func invalidSiteFailsWithItsExpectedMessage(_ name: String) throws {
        let fixture = fixturesRoot.appendingPathComponent("invalid/\(name)")
        let expected = try String(contentsOf: fixture.appendingPathComponent("expected-error.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let site = try TempSite(copying: fixture)
        let error = lecternError { try site.build() }
        let message = try #require(error?.description, "\(name) built, but must fail")
        #expect(message.hasPrefix(expected) || message.contains(expected), "\(name): got \(message)")
        #expect(error?.hint != nil || error?.step == .markdown, "\(name): a creator-facing error should say what to do")
        #expect(!site.exists("public") && !site.exists("paid"), "\(name): a failed build must write no output")
        #expect(!site.topLevelNames().contains { $0.hasPrefix(".lectern-staging") }, "\(name): staging left behind")
    }

    @Test func modulesTomlFrontMatterWeightsAndDrafts() throws {
        let site = try TempSite(copying: fixturesRoot.appendingPathComponent("valid/modules-and-toml"))
        try site.build()
        let config = try SiteConfig.load(root: site.root)
        let course = try #require(try ContentLoader(config: config).load().course("alpha"))
        #expect(course.lessons.map(\.slug) == ["start", "first-by-weight", "deeper"])
        #expect(course.lessons.map(\.module?.title) == [nil, "Basics", "Basics"])
        #expect(course.lessons[1].availableAfterDays == 3)
        #expect(site.exists("public/courses/alpha/start/index.html"))
        #expect(site.exists("paid/alpha/deeper.page") && site.exists("paid/alpha/first-by-weight.page"))
        #expect(!site.exists("public/courses/alpha/draft/index.html"))
        // The TOML-front-matter lesson links to a paid lesson: rewritten to the gate's URL, anchor kept.
        #expect(
            try site.read("public/courses/alpha/start/index.html").contains("href=\"/learn/alpha/deeper/#details\""))

        try site.build(drafts: true)
        #expect(site.exists("public/courses/alpha/draft/index.html"))
    }
}
