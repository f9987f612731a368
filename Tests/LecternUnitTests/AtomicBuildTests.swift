import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild

/// A failed build must leave the previous output exactly as it was.
@Suite struct AtomicBuildTests {
    @Test func failedBuildLeavesPreviousOutputUntouched() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        let before = site.files(under: "public") + site.files(under: "paid")
        #expect(before.count > 10)

        // A change that renders most pages fine, then fails on one broken link.
        try site.write(
            "content/practical-sqlite/01-foundations/01-why-sqlite.md",
            lesson("Why SQLite (edited)", free: true, body: "Edited.\n\nSee [gone](09-gone.md)."))
        let error = lecternError { try site.build() }
        #expect(error?.file == "content/practical-sqlite/01-foundations/01-why-sqlite.md" && error?.line == 7)

        let after = site.files(under: "public") + site.files(under: "paid")
        #expect(after.map(\.0) == before.map(\.0))
        #expect(zip(after, before).allSatisfy { $0.1 == $1.1 })
        #expect(!site.topLevelNames().contains { $0.hasPrefix(".lectern-staging") })
    }

    @Test func stagingFoldersOfAKilledBuildAreRemovedByTheNextOne() throws {
        let site = try TempSite(withExampleContent: true)
        // As a `kill -9`ed build leaves them: its process is gone. A live process's staging stays.
        let dead = Int32.max - 7
        #expect(kill(dead, 0) != 0)
        try site.write(".lectern-staging-\(dead)-42-public/index.html", "old")
        try site.write(".lectern-staging-\(dead)-42-paid/manifest.json", "{}")
        try site.write(".lectern-staging-\(getpid())-43-public/index.html", "a build still running")
        try site.build()
        let left = site.topLevelNames().filter { $0.hasPrefix(".lectern-staging") }
        #expect(left == [".lectern-staging-\(getpid())-43-public"])
    }

    @Test func rebuildReplacesOutputAndDropsRemovedPages() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        #expect(site.exists("public/courses/practical-sqlite/why-sqlite/index.html"))
        try FileManager.default.removeItem(
            at: site.root.appendingPathComponent("content/practical-sqlite/01-foundations/01-why-sqlite.md"))
        // The course landing links to that lesson; fix the link so the build is valid.
        let landing = try site.read("content/practical-sqlite/_index.md")
            .replacingOccurrences(of: "[Why SQLite](01-foundations/01-why-sqlite.md) and\n", with: "")
        try site.write("content/practical-sqlite/_index.md", landing)
        let chapter = try site.read("content/practical-sqlite/02-in-production/07-backups.md")
            .replacingOccurrences(
                of: "../01-foundations/01-why-sqlite.md", with: "../01-foundations/02-first-database.md")
        try site.write("content/practical-sqlite/02-in-production/07-backups.md", chapter)
        try site.build()
        #expect(!site.exists("public/courses/practical-sqlite/why-sqlite/index.html"), "stale page removed")
        #expect(site.exists("public/courses/practical-sqlite/first-database/index.html"))
        #expect(!site.topLevelNames().contains { $0.hasPrefix(".lectern-staging") })
    }

    @Test func outOptionWritesElsewhere() throws {
        let site = try TempSite(withExampleContent: true)
        let out = site.root.appendingPathComponent("elsewhere")
        let report = try SiteBuilder(options: .init(root: site.root, outputBase: out)).build()
        #expect(report.publicDir.path == out.appendingPathComponent("public").path)
        #expect(site.exists("elsewhere/public/index.html") && site.exists("elsewhere/paid/manifest.json"))
        #expect(!site.exists("public"))
    }
}
