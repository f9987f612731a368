import Foundation
import LecternConfig
import LecternCore

/// A lesson as a chapter of a buyer's offline edition (`layouts/edition-chapter.mustache`): lecternd stamps,
/// fingerprints and packs the chapters a buyer may read into an EPUB or a PDF (`LecternCommerce/Editions`).
/// The chapter is XHTML: an EPUB reader parses it as XML, so it must be well-formed.
extension PageRenderer {
    /// The chapter of `lesson` as a `PaidPage` file, or nil when the templates have no edition (or in `lectern
    /// check`, which writes nothing).
    func editionChapter(_ lesson: Lesson, in course: Course, body: String) throws -> Data? {
        guard mode == .build, templates.has(.editionChapter) else { return nil }
        var context = contexts.lesson(lesson, in: course, content: bodyPlaceholder, description: "", syllabusHTML: "")
        context["watermark"] = stampPlaceholder
        guard
            let chapter = PaidPage.assemble(
                renderedLayout: templates.render(.editionChapter, context), stampPlaceholder: stampPlaceholder,
                bodyPlaceholder: bodyPlaceholder,
                body: (standAlone[course.slug] ?? Self.standAlone(course: course.slug, baseURL: config.baseURL))(body),
                course: course.slug, lesson: lesson.slug, title: lesson.title,
                availableAfterDays: lesson.isFree ? nil : lesson.availableAfterDays)
        else {
            throw LecternError(
                .template, file: templates.path(of: .editionChapter),
                "the edition-chapter layout must contain `{{{watermark}}}` and `{{{content}}}` exactly once each",
                hint: "the watermark slot is the buyer's licence stamp on every chapter; keep the tag")
        }
        return try chapter.encoded()
    }

    /// Makes a lesson body made for the web stand alone in a file: the course's files it shows come with
    /// the edition (`files/…`), every other site link points at the site (a lesson the edition leaves out,
    /// not yet open for this buyer, is then still a working link), and cmark-gfm's value-less footnote
    /// attributes get a value, as XML requires. The HTML is the builder's own output, attributes in double
    /// quotes, so plain replacements are exact.
    static func standAlone(course: String, baseURL: String) -> ByteSearch.Replacer {
        var rules: [(target: String, replacement: String)] = [true, false].map { free in
            ("src=\"\(SiteRoutes.courseFile("", course: course, free: free))", "src=\"files/")
        }
        rules += [("href=\"/", "href=\"\(baseURL)/"), ("src=\"/", "src=\"\(baseURL)/")]
        for attribute in ["data-footnotes", "data-footnote-ref", "data-footnote-backref"] {
            rules += [(" \(attribute)>", " \(attribute)=\"\">"), (" \(attribute) ", " \(attribute)=\"\" ")]
        }
        return ByteSearch.Replacer(rules)
    }
}
