import Foundation

/// Finds free pages that quote a paid lesson verbatim: any run of `windowWords` words shared with a
/// paid lesson's text. Publishing such a page would give the paid text away, which the builder's
/// structure cannot prevent when the creator copies it by hand.
struct LeakLint {
    static let windowWords = 10

    private var paidWindows: [Int: String] = [:]  // hash of a window → paid lesson source path

    mutating func addPaid(_ text: String, source: String) {
        let words = Self.words(text)
        guard words.count >= Self.windowWords else { return }
        for start in 0...(words.count - Self.windowWords) {
            paidWindows[Self.hash(words[start..<(start + Self.windowWords)])] = source
        }
    }

    /// The first quoted window of a free page: its words and the paid lesson they come from.
    func firstQuote(in text: String) -> (quote: String, paidSource: String)? {
        let words = Self.words(text)
        guard words.count >= Self.windowWords else { return nil }
        for start in 0...(words.count - Self.windowWords) {
            let window = words[start..<(start + Self.windowWords)]
            if let source = paidWindows[Self.hash(window)] { return (window.joined(separator: " "), source) }
        }
        return nil
    }

    /// Lower-cased words with punctuation trimmed, so reflowed or re-punctuated copies still match.
    /// ASCII is handled byte by byte (Foundation's trimming per word was 6 % of a 10,000-lesson build,
    /// through related-course scoring); other text goes through the general path.
    static func words(_ text: String) -> [String] {
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

    private static func hash(_ window: ArraySlice<String>) -> Int {
        var hasher = Hasher()
        for word in window { hasher.combine(word) }
        return hasher.finalize()
    }
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool { (self >= 0x61 && self <= 0x7A) || (self >= 0x30 && self <= 0x39) }
}
