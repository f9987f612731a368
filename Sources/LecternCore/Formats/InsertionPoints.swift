/// Finds the places in rendered HTML where an invisible fingerprint may be spliced at serve time:
/// the gap after a space between two words of visible text, and — since Chinese and Japanese put no
/// spaces between words — the gap between every second pair of adjacent ideographs or kana.
///
/// CJK density: a point between every second pair gives a 150-character excerpt of Chinese prose
/// about 60 points, so each of the mark's 16 chunks is seen three or four times (a point between every
/// pair would double the page's size in invisible characters for no gain in tracing). Line breaking is
/// unchanged: the marks are line-break class AL, so the break opportunity between two ideographs stays
/// (ID ÷ AL and AL ÷ ID in UAX #14), on one side of the zero-width run or the other — the same pixels.
/// Scripts whose words are found by dictionary (Thai, Lao, Khmer, Myanmar) and letters with combining
/// marks are left alone: a character between them would change how the line breaks or how they shape.
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
        // Whether the scalar just before `i` was an ideograph or kana, and how many such pairs so far.
        var afterIdeograph = false
        var ideographPairs = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == lt {
                let (end, name, closing) = scanTag(bytes, from: i)
                if let name, protectedElements.contains(name) {
                    protectedDepth = max(0, protectedDepth + (closing ? -1 : 1))
                }
                i = end
                afterIdeograph = false
                continue
            }
            if byte >= 0xE0, let (scalar, length) = decodeMultiByte(bytes, at: i) {
                let ideograph = isIdeograph(scalar)
                if ideograph, afterIdeograph, protectedDepth == 0 {
                    ideographPairs += 1
                    if ideographPairs % 2 == 0 { offsets.append(i) }
                }
                afterIdeograph = ideograph
                i += length
                continue
            }
            afterIdeograph = false
            if byte == space, protectedDepth == 0, i > 0, i + 1 < bytes.count,
                isWordByte(bytes[i - 1]), isWordByte(bytes[i + 1])
            {
                offsets.append(i + 1)
            }
            i += 1
        }
        return offsets
    }

    /// A three- or four-byte UTF-8 sequence at `i` (where every CJK ideograph and kana lives), or nil.
    private static func decodeMultiByte(_ bytes: [UInt8], at i: Int) -> (UInt32, Int)? {
        let length = bytes[i] >= 0xF0 ? 4 : 3
        guard bytes[i] <= 0xF4, i + length <= bytes.count else { return nil }
        var value = UInt32(bytes[i] & (length == 3 ? 0x0F : 0x07))
        for k in 1..<length {
            let next = bytes[i + k]
            guard next & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(next & 0x3F)
        }
        return (value, length)
    }

    /// Han ideographs and full-size kana: line-break class ID, so a break may fall between any two of
    /// them. Small kana and the prolonged sound mark (class CJ) are left out: strict line breaking
    /// keeps them with the character before.
    package static func isIdeograph(_ value: UInt32) -> Bool {
        switch value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F: return true
        case 0x3041...0x3096, 0x30A1...0x30FA: return !smallKana.contains(value)
        default: return false
        }
    }

    private static let smallKana: Set<UInt32> = [
        0x3041, 0x3043, 0x3045, 0x3047, 0x3049, 0x3063, 0x3083, 0x3085, 0x3087, 0x308E, 0x3095, 0x3096,
        0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9, 0x30C3, 0x30E3, 0x30E5, 0x30E7, 0x30EE, 0x30F5, 0x30F6,
    ]

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
