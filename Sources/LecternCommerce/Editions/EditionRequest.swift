import Foundation
import LecternCore
import LecternStore

/// What the gate allows a buyer to download: one course as one file, made of the lessons open to them.
public struct EditionRequest: Sendable {
    public var format: EditionFormat
    public var course: BuildManifest.CourseEntry
    public var grant: GrantRecord
    /// The lessons the buyer may read now, in the course's order (a lesson still closed by its drip delay is
    /// left out, so a later download has more).
    public var lessons: [BuildManifest.LessonEntry]
    public var wording: ReaderWording
    /// The site's language (BCP 47), the edition's `dc:language` and `xml:lang`.
    public var language: String

    public init(
        format: EditionFormat, course: BuildManifest.CourseEntry, grant: GrantRecord,
        lessons: [BuildManifest.LessonEntry], wording: ReaderWording, language: String
    ) {
        self.format = format
        self.course = course
        self.grant = grant
        self.lessons = lessons
        self.wording = wording
        self.language = language
    }

    /// The buyer's stamp, HTML-escaped: on every chapter and, in a PDF, every page.
    public var stamp: String { wording.stamp(email: grant.email, order: grant.order) }

    /// `Content-Disposition` for saving it under the course's slug: as it is when ASCII, and for a Chinese slug
    /// as RFC 6266's `filename*` (UTF-8, percent-encoded: the slug's URL segment), with a plain fallback. Slugs
    /// are checked when the site is built, and neither form can hold a quote or a line break.
    public var contentDisposition: String {
        let slug = course.slug
        guard slug.allSatisfy(\.isASCII) else {
            return "attachment; filename=\"course.\(format.rawValue)\"; "
                + "filename*=UTF-8''\(SiteRoutes.segment(slug)).\(format.rawValue)"
        }
        return "attachment; filename=\"\(slug).\(format.rawValue)\""
    }
}
