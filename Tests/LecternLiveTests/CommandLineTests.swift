import Foundation
import LecternTestSupport
import Testing

@testable import LecternBench
@testable import LecternCommerce
@testable import LecternCore

/// The `lectern` executable end to end: exit codes 0 / 1 (content error naming file:line) / 2 (usage),
/// and the scaffolding commands a new creator types first.
@Suite struct CommandLineTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The built `lectern` binary: next to the test bundle (SwiftPM puts products in one folder).
    static let binary: URL? = builtProgram("lectern")

    func lectern(_ arguments: [String], in directory: URL) throws -> Run {
        guard let binary = Self.binary else {
            Issue.record("no lectern binary next to the tests: run `swift build` first")
            throw CancellationError()
        }
        var environment = ProcessInfo.processInfo.environment
        environment["LECTERN_STARTER"] = repoRoot.path
        let run = try runProgram(binary.path, arguments, environment: environment, in: directory)
        return Run(status: run.status, stdout: run.stdout, stderr: run.stderr)
    }

    @Test func initNewCourseNewLessonBuild() throws {
        let site = try TempSite()
        let dir = site.root.appendingPathComponent("school")
        let created = try lectern(["init", dir.path], in: site.root)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(
            FileManager.default.fileExists(
                atPath: dir.appendingPathComponent("content/practical-sqlite/_index.md").path))

        #expect(try lectern(["new", "course", "git-basics"], in: dir).status == 0)
        #expect(try lectern(["new", "lesson", "git-basics", "first-commit", "--free"], in: dir).status == 0)
        #expect(try lectern(["new", "lesson", "git-basics", "branches"], in: dir).status == 0)
        // The same slug again (issue 17: it made a duplicate that broke the build), and the version.
        let duplicate = try lectern(["new", "lesson", "git-basics", "branches"], in: dir)
        #expect(duplicate.status == 1 && duplicate.stderr.contains("content/git-basics/02-branches.md"))
        #expect(duplicate.stderr.contains("a lesson `branches` already exists"))
        #expect(
            try lectern(["--version"], in: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == LecternVersion.current)
        let second = try String(
            contentsOf: dir.appendingPathComponent("content/git-basics/02-branches.md"), encoding: .utf8)
        #expect(second.contains("title: Branches") && second.contains("free: false"))

        // New courses start as drafts: not published until the creator says so. (The starter has two
        // courses, English and Chinese.)
        let build = try lectern(["build", "--root", dir.path], in: site.root)
        #expect(build.status == 0, "\(build.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("public/courses/git-basics").path))
        let drafts = try lectern(["build", "--drafts"], in: dir)
        #expect(drafts.status == 0 && drafts.stdout.hasPrefix("Built 3 course(s)"))
        #expect(
            FileManager.default.fileExists(
                atPath: dir.appendingPathComponent("public/courses/git-basics/first-commit/index.html").path))

        // A Chinese creator's first command (issue 14): the site speaks Chinese and prices new courses in CNY.
        let chinese = site.root.appendingPathComponent("chinese")
        #expect(try lectern(["init", chinese.path, "--language", "zh-CN"], in: site.root).status == 0)
        let toml = try String(contentsOf: chinese.appendingPathComponent("lectern.toml"), encoding: .utf8)
        #expect(toml.contains("\nlanguage = \"zh-CN\"\n") && toml.contains("\ncurrency = \"CNY\"\n"))
        #expect(try lectern(["build", "--root", chinese.path], in: site.root).status == 0)
        let home = try String(contentsOf: chinese.appendingPathComponent("public/index.html"), encoding: .utf8)
        #expect(home.contains("<html lang=\"zh-CN\">") && home.contains("全部课程"))
        // A tag with no strings, or one that would write something else into lectern.toml, is refused.
        for bad in ["fr", "en\"\nallow_raw_html = true"] {
            let refused = try lectern(
                ["init", site.root.appendingPathComponent("x").path, "--language", bad], in: site.root)
            #expect(refused.status == 1 && refused.stderr.contains("no strings for language"), "\(bad)")
        }
        #expect(!FileManager.default.fileExists(atPath: site.root.appendingPathComponent("x").path))

        let again = try lectern(["init", dir.path], in: site.root)
        #expect(again.status == 1 && again.stderr.contains("a site already exists here"))
    }

    @Test func contentErrorExitsOneAndNamesFileAndLine() throws {
        let site = try TempSite(withExampleContent: true)
        try site.write(
            "content/practical-sqlite/01-foundations/01-why-sqlite.md", "---\ntitle: x\nfree: maybe\n---\nBody\n")
        let run = try lectern(["build"], in: site.root)
        #expect(run.status == 1)
        #expect(
            run.stderr.hasPrefix(
                "content/practical-sqlite/01-foundations/01-why-sqlite.md:3: error: front matter: `free` must be true or false"
            ))
    }

    @Test func usageErrorsExitTwo() throws {
        let site = try TempSite()
        #expect(try lectern(["build", "--no-such-flag"], in: site.root).status == 2)
        #expect(try lectern(["new", "lesson", "only-one-arg"], in: site.root).status == 2)
        #expect(try lectern(["--help"], in: site.root).status == 0)
    }

    @Test func invalidSlugIsRefused() throws {
        let site = try TempSite(withExampleContent: true)
        let run = try lectern(["new", "course", "Bad Slug"], in: site.root)
        #expect(run.status == 1 && run.stderr.contains("is not a valid course slug"))
    }

    @Test func keysTokenAndTraceEndToEnd() throws {
        let site = try TempSite(withExampleContent: true)
        #expect(try lectern(["keys", "generate"], in: site.root).status == 0)
        let issued = try lectern(
            ["token", "issue", "--buyer", "g_5", "--course", "practical-sqlite", "--ttl", "7d"], in: site.root)
        #expect(issued.status == 0, "\(issued.stderr)")
        let link = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link.hasPrefix("http://127.0.0.1:8080/learn/practical-sqlite/?token=ey"))
        let verified = try lectern(["token", "verify", link], in: site.root)
        #expect(verified.status == 0 && verified.stdout.contains("\"sub\" : \"g_5\""))
        // Change a character in the middle of the signature (the last one carries padding bits, so
        // changing it can leave the signature bytes as they were).
        var characters = Array(link)
        let middle = characters.count - 20
        characters[middle] = characters[middle] == "A" ? "B" : "A"
        let tampered = try lectern(["token", "verify", String(characters)], in: site.root)
        #expect(tampered.status == 1 && tampered.stderr.contains("bad signature"))
        #expect(try lectern(["token", "issue", "--buyer", "g", "--course", "nope"], in: site.root).status == 1)
        #expect(try lectern(["token", "issue", "--course", "practical-sqlite"], in: site.root).status == 2)

        // A buyer's copy, rendered with the site's own watermark secret, traces back from a text file.
        try site.build()
        let store = KeyStore(directory: site.root.appendingPathComponent("keys"))
        let page = try PaidPage.decode(
            try Data(contentsOf: site.root.appendingPathComponent("paid/practical-sqlite/wal-mode.page")), file: "w")
        let copy = Watermarker(fingerprint: Fingerprint(secret: try store.watermarkSecret())).render(
            page, grant: 77, email: "b@example.com", order: "o")
        try site.write("leak.txt", TraceExperiment.articleText(copy))
        let traced = try lectern(["trace", "leak.txt"], in: site.root)
        #expect(traced.status == 0 && traced.stdout.hasPrefix("Traced: grant 77"))
        #expect(!traced.stdout.contains("went through a cleaner"), "\(traced.stdout)")
        // The same copy through a text cleaner (Cf deleted, NFKC, white space collapsed) still traces, and says so.
        try site.write("cleaned.txt", TraceExperiment.cleaned(TraceExperiment.articleText(copy)))
        let cleaned = try lectern(["trace", "cleaned.txt"], in: site.root)
        #expect(cleaned.status == 0 && cleaned.stdout.hasPrefix("Traced: grant 77"), "\(cleaned.stdout)")
        #expect(cleaned.stdout.contains("Channels: 0 chunks in format characters"), "\(cleaned.stdout)")
        #expect(cleaned.stdout.contains("went through a cleaner"))
        try site.write("clean.txt", "Nothing to see here, just words someone typed.")
        let clean = try lectern(["trace", "clean.txt"], in: site.root)
        #expect(clean.status == 1 && clean.stdout.hasPrefix("No fingerprint found"))
    }
}
