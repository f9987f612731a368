import Foundation
import LecternConfig
import LecternCore

/// `lectern check`: everything a build would refuse, listed all at once instead of stopping at the
/// first, plus what a build lets through but a reader would trip over: anchors that name no heading,
/// duplicate titles, and free pages that quote paid lessons.
public struct SiteChecker {
    public let root: URL

    public init(root: URL) { self.root = root }

    public func run() -> [CheckProblem] {
        let config: SiteConfig
        let catalog: Catalog
        do {
            config = try SiteConfig.load(root: root)
            catalog = try ContentLoader(config: config).load()
        } catch let error as LecternError {
            // Content that does not load cannot be checked further; the loader names the first problem.
            return [CheckProblem(error, kind: error.step == .config ? "config" : "content")]
        } catch {
            return [CheckProblem(file: SiteConfig.fileName, line: nil, kind: "content", message: "\(error)")]
        }

        var problems: [CheckProblem] = []
        let links = LinkResolver(catalog: catalog)
        let markdown = MarkdownRenderer(allowRawHTML: config.allowRawHTML)
        var headings: [String: Set<String>] = [:]  // page path → heading ids
        var anchors: [(file: String, line: Int, page: String, fragment: String)] = []
        var leaks = LeakLint()
        var freeTexts: [(source: String, firstLine: Int, body: String, text: String)] = []

        func check(
            body: String, firstLine: Int, file: URL, display: String, page: String, course: Course, isPublic: Bool
        ) -> String {
            let origin = LinkResolver.Origin(file: file, displayPath: display, course: course, isPublic: isPublic)
            var assets = Set<LinkResolver.Asset>()
            do {
                let output = try markdown.render(body, firstLine: firstLine) { url, _, line in
                    do {
                        let resolved = try links.resolve(url, from: origin, line: line, assets: &assets)
                        if let hash = resolved.firstIndex(of: "#"), !resolved.hasPrefix("//"), !resolved.contains("://")
                        {
                            let target = String(resolved[..<hash])
                            anchors.append(
                                (
                                    display, line, target.isEmpty ? page : target,
                                    String(resolved[resolved.index(after: hash)...])
                                ))
                        }
                    } catch let error as LecternError {
                        problems.append(CheckProblem(error))
                    }
                    return url
                }
                headings[page] = Set(output.headingIDs)
                for line in output.imagesWithoutAlt {
                    problems.append(
                        CheckProblem(
                            file: display, line: line, kind: "missing-alt-text", message: "image without alt text"))
                }
                return output.plainText
            } catch {
                problems.append(CheckProblem(file: display, line: nil, kind: "markdown", message: "\(error)"))
                return ""
            }
        }

        for course in catalog.courses {
            let landing = check(
                body: course.body, firstLine: course.bodyFirstLine,
                file: course.directory.appendingPathComponent("_index.md"),
                display: course.sourcePath, page: course.landingPath, course: course, isPublic: true)
            freeTexts.append((course.sourcePath, course.bodyFirstLine, course.body, landing))
            var titles: [String: String] = [:]
            for lesson in course.lessons {
                let text = check(
                    body: lesson.body, firstLine: lesson.bodyFirstLine, file: lesson.fileURL,
                    display: lesson.sourcePath,
                    page: lesson.path, course: course, isPublic: lesson.isFree)
                if lesson.isFree {
                    freeTexts.append((lesson.sourcePath, lesson.bodyFirstLine, lesson.body, text))
                } else {
                    leaks.addPaid(text, source: lesson.sourcePath)
                }
                let key = lesson.title.lowercased()
                if let first = titles[key] {
                    problems.append(
                        CheckProblem(
                            file: lesson.sourcePath, line: Self.titleLine(of: lesson), kind: "duplicate-title",
                            message: "title \"\(lesson.title)\" is also used by \(first)", severity: .warning))
                } else {
                    titles[key] = lesson.sourcePath
                }
            }
        }

        for anchor in anchors {
            let decoded = anchor.fragment.removingPercentEncoding ?? anchor.fragment
            guard let ids = headings[anchor.page] else { continue }  // not a content page (an asset, another site)
            if !ids.contains(decoded) {
                problems.append(
                    CheckProblem(
                        file: anchor.file, line: anchor.line, kind: "broken-anchor",
                        message: "`#\(anchor.fragment)` names no heading on \(anchor.page)"
                            + (ids.isEmpty ? "" : " (headings: \(ids.sorted().prefix(6).joined(separator: ", ")))")))
            }
        }

        for free in freeTexts {
            guard let (quote, paid) = leaks.firstQuote(in: free.text) else { continue }
            problems.append(
                CheckProblem(
                    file: free.source, line: Self.line(of: quote, in: free.body, firstLine: free.firstLine),
                    kind: "paid-text-quoted",
                    message: "this free page quotes the paid lesson \(paid) verbatim: \"\(quote)…\""))
        }
        return problems.sorted { ($0.file, $0.line ?? 0) < ($1.file, $1.line ?? 0) }
    }

    /// The front-matter line holding `title`, for pointing at it.
    static func titleLine(of lesson: Lesson) -> Int? {
        let text = (try? String(contentsOf: lesson.fileURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.hasPrefix("title") }.map { $0 + 1 }
    }

    /// The source line where a quoted run starts (its first three words), or the body's first line.
    static func line(of quote: String, in body: String, firstLine: Int) -> Int {
        let lead = quote.split(separator: " ").prefix(3).map(String.init)
        for (offset, line) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = LeakLint.words(String(line))
            if words.indices.contains(where: { Array(words[$0...].prefix(lead.count)) == lead }) {
                return firstLine + offset
            }
        }
        return firstLine
    }
}
