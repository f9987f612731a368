import Foundation
import LecternConfig
import LecternCore

/// Renders one course landing page or one lesson: Markdown through cmark-gfm with link checking,
/// then the layout. Pure: reads nothing but its inputs, so many run in parallel.
struct PageRenderer: @unchecked Sendable {
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
    }

    func render(_ job: Job) throws -> Result {
        switch job {
        case .landing(let course):
            var assets = Set<LinkResolver.Asset>()
            let origin = LinkResolver.Origin(
                file: course.directory.appendingPathComponent("_index.md"),
                displayPath: course.sourcePath, course: course, isPublic: true)
            let body = try markdown.render(course.body, firstLine: course.bodyFirstLine) { url, _, line in
                try links.resolve(url, from: origin, line: line, assets: &assets)
            }
            try Self.requireAltText(body, file: course.sourcePath)
            let html = templates.render(
                .course, contexts.course(course, bodyHTML: body.html, related: related[course.slug] ?? []))
            let data = Data(html.utf8)
            return Result(
                url: course.landingPath, source: course.sourcePath,
                outputPath: SiteRoutes.publicOutput(course: course.slug),
                data: data, sha256: BuildManifest.hash(data),
                assets: assets, isPublic: true, feedSummary: course.summary, date: course.date, title: course.title,
                searchText: course.summary + "\n" + body.plainText, courseTitle: course.title)

        case .lesson(let lesson, let course):
            var assets = Set<LinkResolver.Asset>()
            let origin = LinkResolver.Origin(
                file: lesson.fileURL, displayPath: lesson.sourcePath,
                course: course, isPublic: lesson.isFree)
            let body = try markdown.render(lesson.body, firstLine: lesson.bodyFirstLine, collectText: lesson.isFree) {
                url, _, line in
                try links.resolve(url, from: origin, line: line, assets: &assets)
            }
            try Self.requireAltText(body, file: lesson.sourcePath)
            if lesson.isFree {
                let description = Self.excerpt(body.firstParagraph)
                let html = templates.render(
                    .lesson,
                    contexts.lesson(
                        lesson, in: course, content: body.html, description: description,
                        syllabusHTML: syllabi[course.slug] ?? ""))
                let data = Data(html.utf8)
                return Result(
                    url: lesson.path, source: lesson.sourcePath,
                    outputPath: SiteRoutes.publicOutput(course: course.slug, lesson: lesson.slug),
                    data: data, sha256: BuildManifest.hash(data),
                    assets: assets, isPublic: true, feedSummary: description, date: lesson.date, title: lesson.title,
                    searchText: body.plainText, courseTitle: course.title)
            }
            var context = contexts.lesson(
                lesson, in: course, content: bodyPlaceholder, description: course.summary,
                syllabusHTML: syllabi[course.slug] ?? "")
            context["watermark"] = stampPlaceholder
            let layout = templates.render(.paidLesson, context)
            guard
                let page = PaidPage.assemble(
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
            let data = try page.encoded()
            return Result(
                url: lesson.path, source: lesson.sourcePath, outputPath: "\(course.slug)/\(lesson.slug).page",
                data: data, sha256: BuildManifest.hash(data), assets: assets,
                isPublic: false, feedSummary: "", date: lesson.date, title: lesson.title)
        }
    }

    /// Images need alt text: without it a screen reader says "image" and nothing else.
    static func requireAltText(_ body: MarkdownRenderer.Output, file: String) throws {
        guard let line = body.imagesWithoutAlt.first else { return }
        var error = LecternError(
            .markdown, file: file, line: line, "image without alt text",
            hint: "describe the image for readers who cannot see it: ![A diagram of the WAL file](images/wal.svg)")
        error.code = "missing-alt-text"
        throw error
    }

    /// First paragraph, cut at a word boundary: a meta description for a free page.
    static func excerpt(_ text: String, limit: Int = 180) -> String {
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard flat.count > limit else { return flat }
        let cut = flat.prefix(limit)
        return (cut.lastIndex(of: " ").map { String(cut[..<$0]) } ?? String(cut)) + "…"
    }
}
