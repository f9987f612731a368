import Foundation

/// Finds free pages that quote a paid lesson verbatim: any run of `windowWords` words shared with a
/// paid lesson's text. Publishing such a page would give the paid text away, which the builder's
/// structure cannot prevent when the creator copies it by hand.
struct LeakLint {
    static let windowWords = 10

    private var paidWindows: [Int: String] = [:]  // hash of a window → paid lesson source path

    mutating func addPaid(_ text: String, source: String) {
        let words = Words.of(text)
        guard words.count >= Self.windowWords else { return }
        for start in 0...(words.count - Self.windowWords) {
            paidWindows[Self.hash(words[start..<(start + Self.windowWords)])] = source
        }
    }

    /// The first quoted window of a free page: its words and the paid lesson they come from.
    func firstQuote(in text: String) -> (quote: String, paidSource: String)? {
        let words = Words.of(text)
        guard words.count >= Self.windowWords else { return nil }
        for start in 0...(words.count - Self.windowWords) {
            let window = words[start..<(start + Self.windowWords)]
            if let source = paidWindows[Self.hash(window)] { return (window.joined(separator: " "), source) }
        }
        return nil
    }

    private static func hash(_ window: ArraySlice<String>) -> Int {
        var hasher = Hasher()
        for word in window { hasher.combine(word) }
        return hasher.finalize()
    }
}
