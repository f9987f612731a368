import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild

/// `lectern check`: one fixture with one problem of each class, found at its file and line; none on
/// the clean example course.
struct CheckTests {
    @Test func everyProblemClassIsFoundWhereItIs() throws {
        let site = try TempSite(copying: fixturesRoot.appendingPathComponent("check/problems"))
        let found = SiteChecker(root: site.root).run().map {
            "\($0.file):\($0.line ?? 0) \($0.severity.rawValue) \($0.kind)"
        }
        #expect(
            found == [
                "content/alpha/01-free.md:5 error broken-link",
                "content/alpha/01-free.md:7 error broken-anchor",
                "content/alpha/01-free.md:8 error draft-link",
                "content/alpha/01-free.md:10 error missing-alt-text",
                "content/alpha/01-free.md:12 error paid-text-quoted",
                "content/alpha/03-again.md:2 warning duplicate-title",
                "content/alpha/03-again.md:4 error missing-file",
            ])
    }

    @Test func theExampleCourseIsClean() throws {
        let site = try TempSite(withExampleContent: true)
        #expect(SiteChecker(root: site.root).run().isEmpty)
    }

    @Test func commandLineExitCodesAndJSON() throws {
        let binary = try #require(CommandLineTests.binary).path
        let site = try TempSite(copying: fixturesRoot.appendingPathComponent("check/problems"))
        let run = try runProgram(binary, ["check", "--root", site.root.path, "--format", "json"])
        #expect(run.status == 1)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(
            list.count == 7
                && list.allSatisfy { $0["file"] is String && $0["kind"] is String && $0["severity"] is String })
        // A site whose content does not load gets that one problem, with its file and line.
        try site.write("content/alpha/04-bad.md", "---\ntitle: [unclosed\n---\nText\n")
        let broken = try runProgram(binary, ["check", "--root", site.root.path])
        #expect(broken.status == 1 && broken.stdout.contains("content/alpha/04-bad.md:"))
        let clean = try TempSite(withExampleContent: true)
        #expect(try runProgram(binary, ["check", "--root", clean.root.path]).status == 0)
    }
}
