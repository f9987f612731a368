import Foundation
import LecternTestSupport
import Testing

/// A course whose folder and lesson files are named in Chinese (`写作课/01-入门.md`), end to end: created
/// with `lectern new`, checked, built (files on disk as named; every URL percent-encoded: pages, sitemap,
/// feed, search index), and served by lecternd — the landing page, a signed link, the cookie's `Path` and
/// the paid lesson at their encoded URLs, through curl as a browser sends them.
@Suite(.serialized) struct ChineseSlugTests {
    static let course = "写作课"
    static let encodedCourse = "%E5%86%99%E4%BD%9C%E8%AF%BE"
    static let encodedPaidLesson = "%E8%BF%9B%E9%98%B6"  // 进阶

    @Test func aChineseNamedCourseIsCreatedBuiltAndServedAtEncodedURLs() async throws {
        let daemon = try await DaemonHarness { site in
            let lectern = try #require(CommandLineTests.binary).path
            for arguments in [
                ["new", "course", Self.course], ["new", "lesson", Self.course, "入门", "--free"],
                ["new", "lesson", Self.course, "进阶"],
            ] {
                let run = try runProgram(lectern, arguments + ["--root", site.root.path])
                try #require(run.status == 0, "lectern \(arguments.joined(separator: " ")): \(run.stderr)")
            }
            let index = try site.read("content/写作课/_index.md").replacingOccurrences(
                of: "draft: true", with: "draft: false")
            try site.write("content/写作课/_index.md", index)
            // Links written the way a Chinese creator writes them: a file name, and a raw Chinese URL.
            try site.write(
                "content/写作课/01-入门.md",
                try site.read("content/写作课/01-入门.md") + "\n[下一课](02-进阶.md)，[目录](/courses/写作课/)\n")
            let check = try runProgram(lectern, ["check", "--root", site.root.path])
            #expect(check.status == 0, "lectern check: \(check.stdout)\(check.stderr)")
        }
        defer { _ = daemon.stop() }
        let site = daemon.site

        // On disk as named; in every URL percent-encoded.
        #expect(
            FileManager.default.fileExists(
                atPath: site.root.appendingPathComponent("public/courses/写作课/入门/index.html").path))
        let free = try site.read("public/courses/写作课/入门/index.html")
        #expect(free.contains("href=\"/learn/\(Self.encodedCourse)/\(Self.encodedPaidLesson)/\""))
        #expect(free.contains("href=\"/courses/\(Self.encodedCourse)/\""))
        #expect(!free.contains("href=\"/courses/写作课"))
        for file in ["public/sitemap.xml", "public/feed.xml", "public/search-index.json"] {
            let text = try site.read(file)
            #expect(text.contains("/courses/\(Self.encodedCourse)/"), "\(file)")
            #expect(!text.contains("/courses/写作课"), "\(file)")
        }

        // Served: the landing page, then a signed link → cookie → the paid lesson, all at encoded URLs.
        let landing = try daemon.curl("/courses/\(Self.encodedCourse)/")
        #expect(landing.status == 200 && landing.body.contains("写作课"))
        let lectern = try #require(CommandLineTests.binary).path
        let root = ["--root", site.root.path, "--email", "li@example.com", "--course", Self.course]
        #expect(try runProgram(lectern, ["grant"] + root).status == 0)
        let link = try runProgram(lectern, ["token", "issue"] + root).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(link.contains("/learn/\(Self.encodedCourse)/?token="))
        let jar = site.root.appendingPathComponent("cookies.txt")
        let path = try #require(link.range(of: "/learn/")).lowerBound
        let signedIn = try daemon.curl(String(link[path...]), jar: jar, follow: true)
        #expect(signedIn.status == 200, "\(signedIn.url)")
        #expect(signedIn.url.hasSuffix("/learn/\(Self.encodedCourse)/\(Self.encodedPaidLesson)/"))
        #expect(signedIn.body.contains("li@example.com"))
        let cookie = try String(contentsOf: jar, encoding: .utf8)
        #expect(cookie.contains("\t/learn/\(Self.encodedCourse)/\t"))
        let again = try daemon.curl("/learn/\(Self.encodedCourse)/\(Self.encodedPaidLesson)/", jar: jar)
        #expect(again.status == 200)
    }
}
