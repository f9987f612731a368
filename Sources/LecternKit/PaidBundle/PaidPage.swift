import Foundation

/// A paid lesson as the builder leaves it for the daemon: the fully rendered page with two kinds of
/// slots, so that serving a buyer's copy is splicing bytes into known offsets.
///
/// - `stampOffset`: where the visible "Licensed to …" stamp goes (the layout's `{{{watermark}}}`).
/// - `markOffsets`: word gaps in the lesson text where invisible fingerprint characters may go.
///
/// Offsets are UTF-8 byte offsets into `html`, ascending. Stored as `<paid>/<course>/<lesson>.json`.
public struct PaidPage: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    public var format: Int
    public var course: String
    public var lesson: String
    public var title: String
    public var availableAfterDays: Int?
    public var html: String
    public var stampOffset: Int
    public var markOffsets: [Int]

    public init(course: String, lesson: String, title: String, availableAfterDays: Int?,
                html: String, stampOffset: Int, markOffsets: [Int]) {
        self.format = Self.formatVersion
        self.course = course
        self.lesson = lesson
        self.title = title
        self.availableAfterDays = availableAfterDays
        self.html = html
        self.stampOffset = stampOffset
        self.markOffsets = markOffsets
    }

    /// Builds a page from a layout rendered with two unique placeholders: one for the stamp and one
    /// for the lesson body. Returns nil when the layout lacks either placeholder exactly once
    /// (the caller turns that into a template error).
    static func assemble(renderedLayout: String, stampPlaceholder: String, bodyPlaceholder: String,
                         body: String, course: String, lesson: Lesson) -> PaidPage? {
        let stampParts = renderedLayout.components(separatedBy: stampPlaceholder)
        guard stampParts.count == 2 else { return nil }
        let beforeStamp = stampParts[0], afterStamp = stampParts[1]
        // The body may sit before or after the stamp in the layout.
        let bodyBefore = beforeStamp.components(separatedBy: bodyPlaceholder)
        let bodyAfter = afterStamp.components(separatedBy: bodyPlaceholder)
        guard bodyBefore.count + bodyAfter.count == 3 else { return nil }

        let bodyPoints = InsertionPoints.find(in: body)
        var html = ""
        var marks: [Int] = []
        var stampOffset = 0
        func appendBody() {
            let base = html.utf8.count
            marks.append(contentsOf: bodyPoints.map { $0 + base })
            html += body
        }
        if bodyBefore.count == 2 {
            html += bodyBefore[0]; appendBody(); html += bodyBefore[1]
            stampOffset = html.utf8.count
            html += afterStamp
        } else {
            html += beforeStamp
            stampOffset = html.utf8.count
            html += bodyAfter[0]; appendBody(); html += bodyAfter[1]
        }
        return PaidPage(course: course, lesson: lesson.slug, title: lesson.title,
                        availableAfterDays: lesson.availableAfterDays, html: html,
                        stampOffset: stampOffset, markOffsets: marks)
    }

    /// The page with `stamp` at the stamp slot and `mark(i)` inserted at the i-th mark slot (nil: none).
    /// One pass over the bytes; no HTML is parsed.
    public func splice(stamp: String, mark: (Int) -> String?) -> String {
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + stamp.utf8.count + markOffsets.count * 8)
        var cursor = 0
        var stampDone = false
        func copy(upTo offset: Int) {
            if offset > cursor { out.append(contentsOf: bytes[cursor..<offset]); cursor = offset }
        }
        for (index, offset) in markOffsets.enumerated() {
            if !stampDone && stampOffset <= offset {
                copy(upTo: stampOffset)
                out.append(contentsOf: stamp.utf8)
                stampDone = true
            }
            copy(upTo: offset)
            if let inserted = mark(index) { out.append(contentsOf: inserted.utf8) }
        }
        if !stampDone {
            copy(upTo: stampOffset)
            out.append(contentsOf: stamp.utf8)
        }
        copy(upTo: bytes.count)
        return String(decoding: out, as: UTF8.self)
    }
}
