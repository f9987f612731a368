import Foundation

/// Finds free pages that quote a paid lesson verbatim: any run of ten words shared with a paid
/// lesson's text (an ideograph counts as half a word, so a Chinese run is twenty characters).
/// Publishing such a page would give the paid text away, which the builder's structure cannot prevent
/// when the creator copies it by hand.
struct LeakLint {
    /// In half-words: a word weighs 2, an ideograph 1.
    static let windowWeight = 20

    private var paidWindows: [Int: String] = [:]  // hash of a window → paid lesson source path

    mutating func addPaid(_ text: String, source: String) {
        let words = Words.of(text)
        for window in Self.windows(words) { paidWindows[Self.hash(words[window])] = source }
    }

    /// The first quoted window of a free page: its words and the paid lesson they come from.
    func firstQuote(in text: String) -> (quote: String, paidSource: String)? {
        let words = Words.of(text)
        for window in Self.windows(words) {
            if let source = paidWindows[Self.hash(words[window])] { return (Words.join(words[window]), source) }
        }
        return nil
    }

    /// One window per starting token, as long as it takes to reach the weight: a quote that shares
    /// the paid text's tokens from some token on shares that token's window.
    private static func windows(_ words: [String]) -> [Range<Int>] {
        var windows: [Range<Int>] = []
        var end = 0
        var weight = 0
        for start in words.indices {
            while end < words.count, weight < windowWeight {
                weight += Words.isCJK(words[end]) ? 1 : 2
                end += 1
            }
            guard weight >= windowWeight else { break }
            windows.append(start..<end)
            weight -= Words.isCJK(words[start]) ? 1 : 2
        }
        return windows
    }

    private static func hash(_ window: ArraySlice<String>) -> Int {
        var hasher = Hasher()
        for word in window { hasher.combine(word) }
        return hasher.finalize()
    }
}
