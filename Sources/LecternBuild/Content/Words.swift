import Foundation
import LecternCore

/// The words of a text as related courses (TF-IDF) and the leak lint (shared runs) compare them.
///
/// Chinese and Japanese put no spaces between words, so each ideograph or kana is a token of its own
/// (`isCJK`); the leak lint weighs them as half a word and related courses compare pairs of them
/// (`terms`), the usual unit of Chinese text retrieval, which needs no dictionary.
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
        var pieces: [Substring] = []
        for word in text.lowercased().split(whereSeparator: { $0.isWhitespace }) {
            var start = word.startIndex
            for index in word.indices where isCJK(word[index]) {
                if start < index { pieces.append(word[start..<index]) }
                pieces.append(word[index...index])
                start = word.index(after: index)
            }
            if start < word.endIndex { pieces.append(word[start...]) }
        }
        return pieces.compactMap { word in
            let trimmed = word.trimmingCharacters(in: .punctuationCharacters.union(.symbols))
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    /// An ideograph or kana: one token by itself.
    static func isCJK(_ character: Character) -> Bool {
        character.unicodeScalars.count == 1
            && character.unicodeScalars.first.map { InsertionPoints.isIdeograph($0.value) } == true
    }

    static func isCJK(_ token: String) -> Bool { token.count == 1 && token.first.map(isCJK) == true }

    /// Tokens joined back for display: spaces between words, none between ideographs.
    static func join<S: Sequence>(_ tokens: S) -> String where S.Element == String {
        var text = ""
        var previousCJK = false
        for token in tokens {
            let cjk = isCJK(token)
            if !text.isEmpty, !(cjk && previousCJK) { text += " " }
            text += token
            previousCJK = cjk
        }
        return text
    }

    /// Terms for comparing texts: words, and for runs of ideographs each adjacent pair (a lone
    /// ideograph says little; a pair is most often a word or part of one).
    static func terms(_ text: String) -> [String] {
        var terms: [String] = []
        var previous: String?
        for token in of(text) {
            if isCJK(token) {
                if let previous { terms.append(previous + token) }
                previous = token
            } else {
                terms.append(token)
                previous = nil
            }
        }
        return terms
    }
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool { (self >= 0x61 && self <= 0x7A) || (self >= 0x30 && self <= 0x39) }
}
