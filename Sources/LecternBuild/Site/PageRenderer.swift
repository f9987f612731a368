import Foundation
import LecternConfig
import LecternCore

/// Renders one course landing page or one lesson: Markdown through cmark-gfm with link checking,
/// then the layout. Pure: reads nothing but its inputs, so many run in parallel.
///
/// In `.build` mode the first problem (a broken link, an image without alt text) stops the build; in
/// `.check` mode (`lectern check`) every problem is kept in the result and rendering goes on, with the
/// headings, anchors and plain text the checker needs.
struct PageRenderer: @unchecked Sendable {
    enum Mode: Sendable {
        case build, check
    }

    // @unchecked: TemplateSet and the other members are immutable after construction.
    let config: SiteConfig
    let templates: TemplateSet
    let markdown: MarkdownRenderer
    let links: LinkResolver
    let contexts: PageContexts
    /// Pre-rendered syllabus per course slug (see `PageContexts.syllabusHTML`).
    let syllabi: [String: String]
    /// Related courses per course slug (see `RelatedCourses`).
    var related: [String: [Course]] = [:]
    var mode = Mode.build
    /// The leak-lint windows of the build's free pages (`LeakLint.windowHashes`), rendered first: a paid
    /// lesson keeps the ones it shares (`sharedWindows`), and the builder refuses the free page.
    var freeWindows = WindowSet()
    /// Unique per build, so no creator text can collide with them.
    let stampPlaceholder = "lectern-stamp-slot-\(UUID().uuidString)"
    let bodyPlaceholder = "lectern-body-slot-\(UUID().uuidString)"

    enum Job {
        case landing(Course)
        case lesson(Lesson, Course)
    }

    struct Result {
        var url: String
        var source: String
        /// Path of the file inside the public folder or the paid bundle.
        var outputPath: String
        var data: Data
        var sha256: String
        var assets: Set<LinkResolver.Asset>
        var isPublic: Bool
        var feedSummary: String
        var date: Date
        var title: String
        /// Plain text for the search index; empty for paid lessons, which are never indexed.
        var searchText: String = ""
        var courseTitle: String = ""
        /// What `.check` mode needs: problems found; what the build's `PublicationRules` need too: heading
        /// ids, links with a `#fragment`, the text.
        var problems: [LecternError] = []
        var headingIDs: [String] = []
        var anchors: [Anchor] = []
        var plainText: String = ""
        /// The text without code blocks, for the leak lint (`MarkdownRenderer.Output.proseText`).
        var proseText: String = ""
        /// A paid lesson's windows that a free page also has (see `freeWindows`), each once.
        var sharedWindows: [Int] = []
        /// A free lesson's body, for the buyer's offline edition (a paid lesson's page holds its own:
        /// `PaidPage.bodyStart`).
        var chapter: Data?
        var chapterOutput = ""
        /// The chapter's SHA-256 once it is written (its bytes are dropped then, as the page's are).
        var chapterSHA256: String?

        /// The files this page links to, where they go and the URL they are served at: public beside a
        /// free page, in the paid bundle (behind the gate) beside a paid one.
        func assetFiles(course: String) -> [AssetFile] {
            assets.map { asset in
                AssetFile(
                    source: asset.source,
                    url: SiteRoutes.courseFile(asset.relativePath, course: course, free: isPublic),
                    key: "\(course)/\(asset.relativePath)",
                    output: isPublic
                        ? "\(SiteRoutes.publicSegment)/\(course)/\(asset.relativePath)"
                        : "\(course)/files/\(asset.relativePath)",
                    paidOutput: "\(course)/files/\(asset.relativePath)")
            }
        }
    }

    /// A link to `page#fragment` written at `line` (checked against the headings of `page`).
    struct Anchor {
        var line: Int
        var page: String
        var fragment: String
    }

    struct AssetFile {
        var source: URL
        var url: String
        /// `<course>/<path>`: one copy per course and destination, however many pages link to it.
        var key: String
        var output: String
        /// Where it goes in the paid bundle, whichever side it is on (a buyer's edition carries free lessons' files).
        var paidOutput: String
    }

    func render(_ job: Job) throws -> Result {
        switch job {
        case .landing(let course):
            var page = Resolution(
                origin: LinkResolver.Origin(
                    file: course.directory.appendingPathComponent("_index.md"),
                    displayPath: course.sourcePath, course: course, isPublic: true),
                url: course.landingPath)
            let body = try markdown.render(course.body, firstLine: course.bodyFirstLine) { url, _, line in
                try resolve(url, line: line, in: &page)
            }
            try requireAltText(body, file: course.sourcePath, in: &page)
            let html = templates.render(
                .course, contexts.course(course, bodyHTML: body.html, related: related[course.slug] ?? []))
            let data = Data(html.utf8)
            return page.finish(
                Result(
                    url: course.landingPath, source: course.sourcePath,
                    outputPath: SiteRoutes.publicOutput(course: course.slug),
                    data: data, sha256: BuildManifest.hash(data),
                    assets: [], isPublic: true, feedSummary: course.summary, date: course.date, title: course.title,
                    searchText: course.summary + "\n" + body.plainText, courseTitle: course.title),
                body: body)

        case .lesson(let lesson, let course):
            var page = Resolution(
                origin: LinkResolver.Origin(
                    file: lesson.fileURL, displayPath: lesson.sourcePath, course: course, isPublic: lesson.isFree),
                url: lesson.path)
            let body = try markdown.render(
                lesson.body, firstLine: lesson.bodyFirstLine,
                collectText: lesson.isFree || mode == .check || !freeWindows.isEmpty, proseOnly: !lesson.isFree
            ) { url, _, line in
                try resolve(url, line: line, in: &page)
            }
            try requireAltText(body, file: lesson.sourcePath, in: &page)
            if lesson.isFree {
                let description = Self.excerpt(body.firstParagraph)
                let html = templates.render(
                    .lesson,
                    contexts.lesson(
                        lesson, in: course, content: body.html, description: description,
                        syllabusHTML: syllabi[course.slug] ?? ""))
                let data = Data(html.utf8)
                return page.finish(
                    Result(
                        url: lesson.path, source: lesson.sourcePath,
                        outputPath: SiteRoutes.publicOutput(course: course.slug, lesson: lesson.slug),
                        data: data, sha256: BuildManifest.hash(data), assets: [], isPublic: true,
                        feedSummary: description, date: lesson.date, title: lesson.title,
                        searchText: body.plainText, courseTitle: course.title,
                        chapter: mode == .build
                            ? try PaidPage.chapter(
                                course: course.slug, lesson: lesson.slug, title: lesson.title,
                                body: body.html
                            ).encoded() : nil,
                        chapterOutput: PaidPage.chapterOutput(course: course.slug, lesson: lesson.slug)),
                    body: body)
            }
            var context = contexts.lesson(
                lesson, in: course, content: bodyPlaceholder, description: course.summary,
                syllabusHTML: syllabi[course.slug] ?? "")
            context["watermark"] = stampPlaceholder
            let layout = templates.render(.paidLesson, context)
            guard
                let paid = PaidPage.assemble(
                    renderedLayout: layout, stampPlaceholder: stampPlaceholder,
                    bodyPlaceholder: bodyPlaceholder, body: body.html,
                    course: course.slug, lesson: lesson.slug, title: lesson.title,
                    availableAfterDays: lesson.availableAfterDays)
            else {
                throw LecternError(
                    .template, file: templates.path(of: .paidLesson),
                    "the paid-lesson layout must contain `{{{watermark}}}` and `{{{content}}}` exactly once each",
                    hint: "the watermark slot shows each buyer's licence stamp; restyle it with CSS but keep the tag")
            }
            let data = try paid.encoded()
            return page.finish(
                Result(
                    url: lesson.path, source: lesson.sourcePath, outputPath: "\(course.slug)/\(lesson.slug).page",
                    data: data, sha256: BuildManifest.hash(data), assets: [],
                    isPublic: false, feedSummary: "", date: lesson.date, title: lesson.title,
                    sharedWindows: freeWindows.isEmpty
                        ? [] : Array(Set(LeakLint.windowHashes(body.proseText).filter(freeWindows.contains)))),
                body: body)
        }
    }

    /// What one page's links resolved to while it renders.
    struct Resolution {
        let origin: LinkResolver.Origin
        /// The page's own URL, for `#fragment` links within it.
        let url: String
        var assets = Set<LinkResolver.Asset>()
        var problems: [LecternError] = []
        var anchors: [Anchor] = []

        func finish(_ result: Result, body: MarkdownRenderer.Output) -> Result {
            var result = result
            result.assets = assets
            result.problems = problems
            result.anchors = anchors
            result.headingIDs = body.headingIDs
            result.plainText = body.plainText
            result.proseText = body.proseText
            return result
        }
    }

    /// A link's URL as the page emits it; a broken one stops a build, and is kept (unchanged) by a check.
    private func resolve(_ url: String, line: Int, in page: inout Resolution) throws -> String {
        do {
            let resolved = try links.resolve(url, from: page.origin, line: line, assets: &page.assets)
            if let hash = resolved.firstIndex(of: "#"), !resolved.hasPrefix("//"),
                !resolved.contains("://")
            {
                let target = String(resolved[..<hash])
                page.anchors.append(
                    Anchor(
                        line: line, page: target.isEmpty ? page.url : target,
                        fragment: String(resolved[resolved.index(after: hash)...])))
            }
            return resolved
        } catch let error as LecternError where mode == .check {
            page.problems.append(error)
            return url
        }
    }

    /// Images need alt text: without it a screen reader says "image" and nothing else.
    private func requireAltText(_ body: MarkdownRenderer.Output, file: String, in page: inout Resolution) throws {
        for line in body.imagesWithoutAlt {
            var error = LecternError(
                .markdown, file: file, line: line, "image without alt text",
                hint: "describe the image for readers who cannot see it: ![A diagram of the WAL file](images/wal.svg)")
            error.code = .missingAltText
            guard mode == .check else { throw error }
            page.problems.append(error)
        }
    }

    /// First paragraph, cut at a word boundary: a meta description for a free page.
    static func excerpt(_ text: String, limit: Int = 180) -> String {
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard flat.count > limit else { return flat }
        let cut = flat.prefix(limit)
        return (cut.lastIndex(of: " ").map { String(cut[..<$0]) } ?? String(cut)) + "…"
    }
}
