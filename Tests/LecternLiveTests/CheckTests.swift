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

    /// `check --production` on a fresh `lectern init` site names everything left from the example (with its
    /// lectern.toml line) and what fails a live shop; once each is fixed, it passes.
    @Test func productionNamesWhatInitLeftAndPassesOnceFixed() throws {
        let binary = try #require(CommandLineTests.binary).path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lectern-prod-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try runProgram(binary, ["init", folder.path]).status == 0)
        #expect(try runProgram(binary, ["check", "--root", folder.path]).status == 0, "a new site checks clean")
        let fresh = try runProgram(binary, ["check", "--production", "--root", folder.path])
        #expect(fresh.status == 1)
        for expected in [
            "lectern.toml:2: error: [production] `title` is still the example site's",
            "lectern.toml:4: error: [production] `author`", "`base_url` http://127.0.0.1:8080 is this machine",
            "`buy_url` is still the example's", "writes e-mails to files", "no signing key",
            "content/practical-sqlite/_index.md:1: error: [production] the example course `practical-sqlite`",
        ] {
            #expect(fresh.stdout.contains(expected), "missing: \(expected)\n\(fresh.stdout)")
        }
        // The creator's own values, https, SMTP, a key, the example courses drafted.
        let toml = folder.appendingPathComponent("lectern.toml")
        var text = try String(contentsOf: toml, encoding: .utf8)
        for (old, new) in [
            ("Lectern Example School", "Ming's Writing School"), ("Ada Example", "Ming"),
            ("Small, practical courses written in Markdown.", "Courses on writing."),
            ("http://127.0.0.1:8080", "https://courses.ming.example"),
            ("https://buy.example.com/checkout/{course}", "https://buy.stripe.com/{course}"),
        ] {
            text = text.replacingOccurrences(of: old, with: new)
        }
        try (text + "\n[mail]\ntransport = \"smtp\"\nsmtp_host = \"smtp.ming.example\"\n").write(
            to: toml, atomically: true, encoding: .utf8)
        for course in ["practical-sqlite", "zhishi-fufei-xiezuo"] {
            let index = folder.appendingPathComponent("content/\(course)/_index.md")
            let front = try String(contentsOf: index, encoding: .utf8)
            try front.replacingOccurrences(
                of: "---\n", with: "---\ndraft: true\n", options: [], range: front.range(of: "---\n")
            )
            .write(to: index, atomically: true, encoding: .utf8)
        }
        #expect(try runProgram(binary, ["keys", "generate", "--root", folder.path]).status == 0)
        let ready = try runProgram(binary, ["check", "--production", "--root", folder.path])
        #expect(ready.status == 0, "\(ready.stdout)")
        #expect(ready.stdout.contains("product `every-course` is not sold: every course it opens is a draft"))
    }
}
