import Foundation

/// Finds free pages that quote a paid lesson verbatim: any run of ten words shared with a paid
/// lesson's text (an ideograph counts as half a word, so a Chinese run is twenty characters).
/// Publishing such a page would give the paid text away, which the builder's structure cannot prevent
/// when the creator copies it by hand. `lectern check` lists every such page; `lectern build` refuses
/// the first (`PublicationRules`).
///
/// A run found in `boilerplateLessons` or more paid lessons is the creator's boilerplate (a footer, a notice
/// repeated in every lesson), not one lesson's text, and is not a quote; nor are code blocks
/// (`MarkdownRenderer.Output.proseText`).
struct LeakLint {
    /// In half-words: a word weighs 2, an ideograph 1.
    static let windowWeight = 20
    static let boilerplateLessons = 3

    /// Hash of a window → the first paid lesson with it, and in how many paid lessons it is.
    private var paidWindows: [Int: (source: String, lessons: Int)] = [:]

    mutating func addPaid(_ text: String, source: String) {
        addPaid(windows: Set(Self.windowHashes(text)), source: source)
    }

    /// A paid lesson by its windows' hashes alone (the build passes only those a free page also has).
    mutating func addPaid<S: Sequence<Int>>(windows: S, source: String) {
        for hash in windows { paidWindows[hash, default: (source, 0)].lessons += 1 }
    }

    /// The first quoted window of a free page: its words and the paid lesson they come from.
    func firstQuote(in text: String) -> (quote: String, paidSource: String)? {
        let tokens = Self.tokens(text)
        let hashes = Self.windowHashes(tokens)
        for (window, hash) in zip(Self.windows(tokens.weights), hashes) {
            if let paid = paidWindows[hash], paid.lessons < Self.boilerplateLessons {
                let words = Words.of(text)
                let quote = words.indices.contains(window.upperBound - 1) ? Words.join(words[window]) : ""
                return (quote, paid.source)
            }
        }
        return nil
    }

    /// Every window's hash: what the build compares between free and paid pages without keeping their words.
    static func windowHashes(_ text: String) -> [Int] { windowHashes(tokens(text)) }

    /// A window's hash is a polynomial of its tokens' hashes, taken from running prefix values in constant
    /// time per window (a 10,000-lesson build hashes some six million windows).
    private static func windowHashes(_ tokens: (hashes: [UInt64], weights: [UInt8])) -> [Int] {
        var prefix = [UInt64](repeating: 0, count: tokens.hashes.count + 1)
        for (index, token) in tokens.hashes.enumerated() { prefix[index + 1] = prefix[index] &* base &+ token }
        return windows(tokens.weights).map { window in
            Int(bitPattern: UInt(prefix[window.upperBound] &- prefix[window.lowerBound] &* powers[window.count]))
        }
    }

    private static let base: UInt64 = 0x100_0000_01b3
    /// `base` to the powers 0 through `windowWeight` (the most tokens a window can hold).
    private static let powers: [UInt64] = (0...windowWeight).reduce(into: []) { powers, _ in
        powers.append(powers.last.map { $0 &* base } ?? 1)
    }

    /// The hash of each token `Words.of` cuts the text into (FNV-1a of its UTF-8), and its weight: 2 for a
    /// word, 1 for an ideograph. ASCII text is cut here byte by byte, as `Words.of` cuts it, without a
    /// String per word: a build runs this over every paid lesson (a test checks it equals `wordTokens`).
    static func tokens(_ text: String) -> (hashes: [UInt64], weights: [UInt8]) {
        var hashes: [UInt64] = []
        // FNV-1a of the word so far, and its value at the last letter or digit: trailing punctuation is
        // trimmed, as `Words.of` trims it.
        var running = fnvOffset
        var atWordEnd: UInt64?
        for byte in text.utf8 {
            switch byte {
            case 0x80...: return wordTokens(text)
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "A")...UInt8(ascii: "Z"):
                running = (running ^ UInt64(byte | 0x20)) &* fnvPrime
                atWordEnd = running
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                if let word = atWordEnd { hashes.append(word) }
                (running, atWordEnd) = (fnvOffset, nil)
            default:
                // Punctuation inside a word (don't, e-mail) stays; a word never starts with it.
                if atWordEnd != nil { running = (running ^ UInt64(byte)) &* fnvPrime }
            }
        }
        if let word = atWordEnd { hashes.append(word) }
        return (hashes, [UInt8](repeating: 2, count: hashes.count))
    }

    /// `tokens` through `Words.of`: any text (the general path), and the reference the fast path must equal.
    static func wordTokens(_ text: String) -> (hashes: [UInt64], weights: [UInt8]) {
        let words = Words.of(text)
        return (words.map { fnv($0.utf8) }, words.map { Words.isCJK($0) ? 1 : 2 })
    }

    private static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let fnvPrime: UInt64 = 0x100_0000_01b3

    private static func fnv<S: Sequence<UInt8>>(_ bytes: S) -> UInt64 {
        var hash = fnvOffset
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* fnvPrime }
        return hash
    }

    static func message(quote: String, paidSource: String) -> String {
        "this free page quotes the paid lesson \(paidSource) verbatim: \"\(quote)…\""
    }

    /// One window per starting token, as long as it takes to reach the weight: a quote that shares
    /// the paid text's tokens from some token on shares that token's window.
    private static func windows(_ weights: [UInt8]) -> [Range<Int>] {
        var windows: [Range<Int>] = []
        var end = 0
        var weight = 0
        for start in weights.indices {
            while end < weights.count, weight < windowWeight {
                weight += Int(weights[end])
                end += 1
            }
            guard weight >= windowWeight else { break }
            windows.append(start..<end)
            weight -= Int(weights[start])
        }
        return windows
    }
}
