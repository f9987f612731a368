/// Finds the places in rendered HTML where an invisible fingerprint may be spliced at serve time:
/// the gap after a space between two words of visible text.
///
/// Never inside a tag (so attribute values and URLs stay intact) and never inside `pre`, `code`,
/// `script`, `style`, `textarea`, `svg` or `math` (so code samples copy exactly). Done once at build
/// time so that serving a watermarked page is splicing bytes, not parsing HTML.
public enum InsertionPoints {
    static let protectedElements: Set<String> = [
        "pre", "code", "script", "style", "textarea", "svg", "math", "kbd", "samp",
    ]

    /// UTF-8 byte offsets into `html`, ascending.
    public static func find(in html: String) -> [Int] {
        let bytes = Array(html.utf8)
        var offsets: [Int] = []
        var protectedDepth = 0
        var i = 0
        let space = UInt8(ascii: " ")
        let lt = UInt8(ascii: "<")
        while i < bytes.count {
            let byte = bytes[i]
            if byte == lt {
                let (end, name, closing) = scanTag(bytes, from: i)
                if let name, protectedElements.contains(name) {
                    protectedDepth = max(0, protectedDepth + (closing ? -1 : 1))
                }
                i = end
                continue
            }
            if byte == space, protectedDepth == 0, i > 0, i + 1 < bytes.count,
                isWordByte(bytes[i - 1]), isWordByte(bytes[i + 1])
            {
                offsets.append(i + 1)
            }
            i += 1
        }
        return offsets
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\n") && byte != UInt8(ascii: "\t")
            && byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">")
    }

    /// Returns the index after the tag's `>`, its lower-cased element name and whether it closes.
    private static func scanTag(_ bytes: [UInt8], from start: Int) -> (Int, String?, Bool) {
        var i = start + 1
        if i < bytes.count, bytes[i] == UInt8(ascii: "!") {  // comment or doctype: skip to "-->" or ">"
            let isComment =
                i + 2 < bytes.count && bytes[i + 1] == UInt8(ascii: "-") && bytes[i + 2] == UInt8(ascii: "-")
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: ">")
                    && (!isComment
                        || (i >= 2 && bytes[i - 1] == UInt8(ascii: "-") && bytes[i - 2] == UInt8(ascii: "-")))
                {
                    return (i + 1, nil, false)
                }
                i += 1
            }
            return (bytes.count, nil, false)
        }
        let closing = i < bytes.count && bytes[i] == UInt8(ascii: "/")
        if closing { i += 1 }
        var name: [UInt8] = []
        while i < bytes.count,
            (bytes[i] >= 0x61 && bytes[i] <= 0x7A) || (bytes[i] >= 0x41 && bytes[i] <= 0x5A)
                || (bytes[i] >= 0x30 && bytes[i] <= 0x39)
        {
            name.append(bytes[i] | 0x20)
            i += 1
        }
        var quote: UInt8? = nil
        var selfClosing = false
        while i < bytes.count {
            let b = bytes[i]
            if let q = quote {
                if b == q { quote = nil }
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                quote = b
            } else if b == UInt8(ascii: ">") {
                selfClosing = i > 0 && bytes[i - 1] == UInt8(ascii: "/")
                break
            }
            i += 1
        }
        let tagName = name.isEmpty || selfClosing ? nil : String(decoding: name, as: UTF8.self)
        return (min(i + 1, bytes.count), tagName, closing)
    }
}
