import LecternCore

/// Heading ids, so lessons can link to a section (`[see](02-setup.md#install-it)`) and readers can
/// share one. cmark-gfm writes headings as bare `<h1>`…`<h6>`; the ids go in afterwards, in order.
struct HeadingAnchors {
    private var used: [String: Int] = [:]

    /// "Install it (v2)!" → "install-it-v2"; a repeat gets "-2", "-3", … as GitHub does.
    mutating func unique(for text: String) -> String {
        var slug = ""
        var pendingDash = false
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                if pendingDash && !slug.isEmpty { slug += "-" }
                slug.unicodeScalars.append(scalar)
                pendingDash = false
            } else {
                pendingDash = true
            }
        }
        if slug.isEmpty { slug = "section" }
        let count = used[slug, default: 0] + 1
        used[slug] = count
        return count == 1 ? slug : "\(slug)-\(count)"
    }

    /// Adds `id="…"` to the n-th bare heading tag for the n-th id. Copies runs between tags with
    /// memchr-found `<h`, not byte by byte (that loop was 11 % of rendering).
    static func insert(ids: [String], into bytes: [UInt8]) -> [UInt8] {
        guard !ids.isEmpty else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + ids.count * 24)
        var cursor = 0
        var next = 0
        var search = 0
        while next < ids.count, let at = ByteSearch.find(headingOpen, in: bytes, from: search) {
            search = at + 2
            guard at + 3 < bytes.count, (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(bytes[at + 2]),
                bytes[at + 3] == UInt8(ascii: ">")
            else { continue }
            out.append(contentsOf: bytes[cursor..<(at + 3)])
            out.append(contentsOf: " id=\"\(MarkupEscaping.escape(ids[next]))\">".utf8)
            cursor = at + 4
            next += 1
        }
        out.append(contentsOf: bytes[cursor...])
        return out
    }

    private static let headingOpen = Array("<h".utf8)
}
