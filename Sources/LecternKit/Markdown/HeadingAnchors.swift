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

    /// Adds `id="…"` to the n-th bare heading tag for the n-th id.
    static func insert(ids: [String], into html: String) -> String {
        guard !ids.isEmpty else { return html }
        var bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + ids.count * 24)
        var index = 0, next = 0
        while index < bytes.count {
            if next < ids.count, bytes[index] == UInt8(ascii: "<"), index + 3 < bytes.count, bytes[index + 1] == UInt8(ascii: "h"),
               (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(bytes[index + 2]), bytes[index + 3] == UInt8(ascii: ">") {
                out.append(contentsOf: bytes[index..<(index + 3)])
                out.append(contentsOf: Array(" id=\"\(MarkupEscaping.escape(ids[next]))\">".utf8))
                next += 1
                index += 4
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        bytes = out
        return String(decoding: bytes, as: UTF8.self)
    }
}
