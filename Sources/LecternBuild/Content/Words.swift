import Foundation

/// The words of a text as related courses (TF-IDF) and the leak lint (shared runs) compare them.
enum Words {
    /// Lower-cased words with punctuation trimmed, so reflowed or re-punctuated copies still match.
    /// ASCII is handled byte by byte (Foundation's trimming per word was 6 % of a 10,000-lesson build,
    /// through related-course scoring); other text goes through the general path.
    static func of(_ text: String) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        var slowPath = false
        func flush() {
            if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
            current.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            if byte >= 0x80 {
                slowPath = true
                break
            }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): current.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): current.append(byte | 0x20)
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"): flush()
            default:
                // Punctuation inside a word (don't, e-mail) stays; at its edges it is trimmed below.
                if !current.isEmpty { current.append(byte) }
            }
        }
        if !slowPath {
            flush()
            return words.compactMap { word in
                var bytes = Array(word.utf8)
                while let last = bytes.last, !(last.isASCIILetterOrDigit) { bytes.removeLast() }
                return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
            }
        }
        return text.lowercased().split(whereSeparator: { $0.isWhitespace }).compactMap { word in
            let trimmed = word.trimmingCharacters(in: .punctuationCharacters.union(.symbols))
            return trimmed.isEmpty ? nil : trimmed
        }
    }
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool { (self >= 0x61 && self <= 0x7A) || (self >= 0x30 && self <= 0x39) }
}
