import Foundation

/// A paid lesson as the builder leaves it for the daemon: the fully rendered page with two kinds of
/// slots, so that serving a buyer's copy is splicing bytes into known offsets.
///
/// - `stampOffset`: where the visible "Licensed to …" stamp goes (the layout's `{{{watermark}}}`).
/// - `markOffsets`: word gaps in the lesson text where invisible fingerprint characters may go.
///
/// Offsets are UTF-8 byte offsets into `html`, ascending. Stored as `<paid>/<course>/<lesson>.page`
/// (see `encoded()`): JSON-encoding the whole page was a quarter of a build's time.
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
    /// Where the lesson's own HTML (the Markdown's, without the layout) starts and ends: what a buyer's offline
    /// edition takes as the chapter. Absent in pages built before editions.
    public var bodyStart: Int?
    public var bodyEnd: Int?

    public init(
        course: String, lesson: String, title: String, availableAfterDays: Int?,
        html: String, stampOffset: Int, markOffsets: [Int], body: Range<Int>? = nil
    ) {
        bodyStart = body?.lowerBound
        bodyEnd = body?.upperBound
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
    package static func assemble(
        renderedLayout: String, stampPlaceholder: String, bodyPlaceholder: String,
        body: String, course: String, lesson: String, title: String, availableAfterDays: Int?
    ) -> PaidPage? {
        guard let (beforeStamp, afterStamp) = splitOnce(renderedLayout, at: stampPlaceholder) else { return nil }
        // The body may sit before or after the stamp in the layout.
        let bodyBefore = splitOnce(beforeStamp, at: bodyPlaceholder)
        let bodyAfter = splitOnce(afterStamp, at: bodyPlaceholder)
        guard (bodyBefore == nil) != (bodyAfter == nil) else { return nil }

        let bodyPoints = InsertionPoints.find(in: body)
        var html = ""
        var marks: [Int] = []
        var stampOffset = 0
        var bodyRange = 0..<0
        func appendBody() {
            let base = html.utf8.count
            marks.append(contentsOf: bodyPoints.map { $0 + base })
            html += body
            bodyRange = base..<html.utf8.count
        }
        if let (head, tail) = bodyBefore {
            html += head
            appendBody()
            html += tail
            stampOffset = html.utf8.count
            html += afterStamp
        } else if let (head, tail) = bodyAfter {
            html += beforeStamp
            stampOffset = html.utf8.count
            html += head
            appendBody()
            html += tail
        }
        return PaidPage(
            course: course, lesson: lesson, title: title, availableAfterDays: availableAfterDays, html: html,
            stampOffset: stampOffset, markOffsets: marks, body: bodyRange)
    }

    /// The file format: line 1 a JSON header (everything but the offsets and the HTML), line 2 the
    /// mark offsets as space-separated decimals, then the HTML bytes exactly.
    public func encoded() throws -> Data {
        var header = self
        header.html = ""
        header.markOffsets = []
        var bytes = [UInt8](try JSONEncoder().encode(header))
        bytes.reserveCapacity(bytes.count + markOffsets.count * 6 + html.utf8.count + 2)
        bytes.append(UInt8(ascii: "\n"))
        // Decimal digits by hand: `String(Int)` and `joined` per offset were a few percent of a build.
        var digits: [UInt8] = []
        for (index, offset) in markOffsets.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: " ")) }
            var value = offset
            digits.removeAll(keepingCapacity: true)
            repeat {
                digits.append(UInt8(ascii: "0") + UInt8(value % 10))
                value /= 10
            } while value > 0
            bytes.append(contentsOf: digits.reversed())
        }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: html.utf8)
        return Data(bytes)
    }

    /// Reads a `.page` file; throws on anything that is not one this version wrote.
    public static func decode(_ data: Data, file: String) throws -> PaidPage {
        let bytes = [UInt8](data)
        guard let firstBreak = bytes.firstIndex(of: UInt8(ascii: "\n")),
            let secondBreak = bytes[(firstBreak + 1)...].firstIndex(of: UInt8(ascii: "\n"))
        else {
            throw LecternError(
                .output, file: file, "not a paid page file", hint: "rebuild the site with `lectern build`")
        }
        var page: PaidPage
        do {
            page = try JSONDecoder().decode(PaidPage.self, from: Data(bytes[..<firstBreak]))
        } catch {
            throw LecternError(
                .output, file: file, line: 1, "unreadable paid page header (\(error))",
                hint: "rebuild the site with `lectern build`")
        }
        guard page.format == formatVersion else {
            throw LecternError(
                .output, file: file, line: 1, "paid page format \(page.format), expected \(formatVersion)",
                hint: "rebuild the site with this version of `lectern build`")
        }
        let offsets = String(decoding: bytes[(firstBreak + 1)..<secondBreak], as: UTF8.self).split(separator: " ")
            .compactMap { Int($0) }
        page.html = String(decoding: bytes[(secondBreak + 1)...], as: UTF8.self)
        page.markOffsets = offsets
        let size = page.html.utf8.count
        let bodyFits =
            switch (page.bodyStart, page.bodyEnd) {
            case (nil, nil): true
            case (let start?, let end?): start >= 0 && start <= end && end <= size
            default: false
            }
        guard page.stampOffset <= size, offsets.allSatisfy({ $0 <= size }),
            zip(offsets, offsets.dropFirst()).allSatisfy({ $0 < $1 }), bodyFits
        else {
            throw LecternError(
                .output, file: file, line: 2, "paid page offsets do not fit its HTML",
                hint: "rebuild the site with `lectern build`")
        }
        return page
    }

    /// Splits `text` around the only occurrence of `marker`; nil if it occurs zero or several times.
    static func splitOnce(_ text: String, at marker: String) -> (String, String)? {
        let bytes = Array(text.utf8)
        let needle = Array(marker.utf8)
        guard let first = ByteSearch.find(needle, in: bytes, from: 0) else { return nil }
        let end = first + needle.count
        if ByteSearch.find(needle, in: bytes, from: end) != nil { return nil }
        return (String(decoding: bytes[..<first], as: UTF8.self), String(decoding: bytes[end...], as: UTF8.self))
    }

    /// The page with `stamp` at the stamp slot and `mark(i)` inserted at the i-th mark slot (nil: none).
    /// One pass over the bytes; no HTML is parsed.
    public func splice(stamp: String, mark: (Int) -> String?) -> String {
        String(decoding: splicedBytes(stamp: stamp, mark: mark), as: UTF8.self)
    }

    /// `splice` as UTF-8 bytes, ready for a response body (the gate's hot path: no String round trip).
    public func splicedBytes(stamp: String, mark: (Int) -> String?) -> [UInt8] {
        var html = self.html
        return html.withUTF8 { bytes in
            var out: [UInt8] = []
            // A chunk of the mark is 20 bytes of UTF-8 (`InvisibleMarkCodec`).
            out.reserveCapacity(bytes.count + stamp.utf8.count + markOffsets.count * 20)
            var cursor = 0
            var stampDone = false
            func copy(upTo offset: Int) {
                if offset > cursor {
                    out.append(contentsOf: bytes[cursor..<offset])
                    cursor = offset
                }
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
            return out
        }
    }

    /// The lesson's own HTML (`bodyStart..<bodyEnd`) with `mark(i)` at the i-th mark slot inside it, i counted
    /// from the body's first slot; nil for a page built before editions.
    public func splicedBody(mark: (Int) -> String?) -> String? {
        guard let bodyStart, let bodyEnd else { return nil }
        var html = self.html
        return html.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bodyEnd - bodyStart + markOffsets.count * 20)
            var cursor = bodyStart
            var index = 0
            for offset in markOffsets where offset >= bodyStart && offset <= bodyEnd {
                out.append(contentsOf: bytes[cursor..<offset])
                cursor = offset
                if let inserted = mark(index) { out.append(contentsOf: inserted.utf8) }
                index += 1
            }
            out.append(contentsOf: bytes[cursor..<bodyEnd])
            return String(decoding: out, as: UTF8.self)
        }
    }
}
