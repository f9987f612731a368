import Crypto
import Foundation
import LecternCommerce
import LecternCore

/// The leak-tracing experiment behind `lectern bench trace`: many buyers' copies of real paid pages,
/// random excerpts as a reader's copy-paste would give (tags stripped), traced back.
public struct TraceExperiment {
    public struct Outcome: Sendable {
        public var words: Int
        public var excerpts: Int
        public var right: Int
        public var wrong: Int
        public var unnamed: Int
    }

    public var pages: [PaidPage]
    public var buyers: Int
    public var seed: UInt64

    public init(pages: [PaidPage], buyers: Int, seed: UInt64 = 42) {
        self.pages = pages
        self.buyers = buyers
        self.seed = seed
    }

    /// Traces `excerpts` random excerpts of `words` words; every named grant is checked.
    public func run(words: Int, excerpts: Int) -> Outcome {
        var rng = SplitMix64(seed: seed &+ UInt64(words))
        let fingerprint = Fingerprint(secret: SymmetricKey(size: .bits256))
        let watermarker = Watermarker(fingerprint: fingerprint)
        let tracer = LeakTracer(fingerprint: fingerprint)
        var outcome = Outcome(words: words, excerpts: excerpts, right: 0, wrong: 0, unnamed: 0)
        for _ in 0..<excerpts {
            let grant = UInt32(rng.next() % UInt64(buyers)) + 1
            let page = pages[Int(rng.next() % UInt64(pages.count))]
            let html = watermarker.render(page, grant: grant, email: "buyer\(grant)@example.com", order: "o\(grant)")
            let text = Self.visibleWords(of: Self.articleText(html))
            let count = min(words, text.count)
            let start = text.count > count ? Int(rng.next() % UInt64(text.count - count + 1)) : 0
            let excerpt = text[start..<(start + count)].joined(separator: " ")
            switch tracer.trace(excerpt) {
            case .traced(let named, _, _): if named == grant { outcome.right += 1 } else { outcome.wrong += 1 }
            default: outcome.unnamed += 1
            }
        }
        return outcome
    }

    /// The lesson text between `<article` and `</article>`, tags removed, entities decoded: what a
    /// reader selecting the lesson and copying it would paste.
    static func articleText(_ html: String) -> String {
        var body = Substring(html)
        if let start = body.range(of: "<article"), let end = body.range(of: "</article>") {
            body = body[start.lowerBound..<end.lowerBound]
        }
        var text = ""
        var inTag = false
        for char in body {
            if char == "<" {
                inTag = true
                text.append(" ")
                continue
            }
            if char == ">" {
                inTag = false
                continue
            }
            if !inTag { text.append(char) }
        }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func visibleWords(of text: String) -> [Substring] {
        text.split(whereSeparator: { $0.isWhitespace })
    }
}

/// A small deterministic generator so experiment runs are repeatable.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
