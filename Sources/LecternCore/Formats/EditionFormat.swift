/// A buyer's offline edition of a course: the whole course (as far as it has opened for them) in one
/// file, stamped and fingerprinted like the pages it is made of. Served at `SiteRoutes.edition`.
public enum EditionFormat: String, CaseIterable, Sendable {
    case epub, pdf

    /// The last segment of its URL under the course: `download.epub`.
    public var fileName: String { "download.\(rawValue)" }

    public var contentType: String {
        switch self {
        case .epub: "application/epub+zip"
        case .pdf: "application/pdf"
        }
    }

    /// The format a course URL's remaining segments ask for, if they are exactly `download.<format>`.
    public init?(segments: [String], isFolder: Bool) {
        guard segments.count == 1, !isFolder, let format = Self.allCases.first(where: { $0.fileName == segments[0] })
        else { return nil }
        self = format
    }
}

/// A free lesson as a chapter of an edition: its body in `PaidPage`'s format, written by the builder to the paid
/// bundle as `<course>/<lesson>.chapter` (a paid lesson's page holds its body already: `PaidPage.bodyStart`).
extension PaidPage {
    public static let chapterExtension = "chapter"

    public static func chapterOutput(course: String, lesson: String) -> String {
        "\(course)/\(lesson).\(chapterExtension)"
    }

    /// `body` (the Markdown's HTML) alone, with its mark slots, as an edition's chapter.
    package static func chapter(course: String, lesson: String, title: String, body: String) -> PaidPage {
        PaidPage(
            course: course, lesson: lesson, title: title, availableAfterDays: nil, html: body, stampOffset: 0,
            markOffsets: InsertionPoints.find(in: body), body: 0..<body.utf8.count)
    }
}
