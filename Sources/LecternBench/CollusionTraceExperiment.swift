import Crypto
import Foundation
import LecternCommerce
import LecternCore

/// Two buyers mix their copies of the same lessons, alternating paragraphs or choosing word by word, and the
/// mix is traced against every buyer on record: how often a colluder is named, both are, or (never) an
/// innocent buyer is.
extension TraceExperiment {
    public enum Mixing: String, Sendable { case paragraphs, words }

    public struct MixedOutcome: Sendable {
        public var mixing: Mixing
        public var words: Int
        public var excerpts: Int
        /// At least one colluder named, and no one else.
        public var named: Int
        /// Both colluders named.
        public var both: Int
        /// A buyer who did not contribute named (must stay 0).
        public var innocent: Int
        public var unnamed: Int
    }

    public func runMixed(_ mixing: Mixing, words: Int, excerpts: Int) -> MixedOutcome {
        var rng = SplitMix64(seed: seed &+ UInt64(words) &+ (mixing == .words ? 1 : 0))
        let fingerprint = Fingerprint(secret: SymmetricKey(size: .bits256))
        let watermarker = Watermarker(fingerprint: fingerprint)
        let tracer = LeakTracer(fingerprint: fingerprint)
        let candidates = (1...UInt32(max(buyers, 2))).map { $0 }
        var outcome = MixedOutcome(
            mixing: mixing, words: words, excerpts: excerpts, named: 0, both: 0, innocent: 0, unnamed: 0)
        for _ in 0..<excerpts {
            let first = UInt32(rng.next() % UInt64(candidates.count)) + 1
            let second = (first + UInt32(rng.next() % UInt64(candidates.count - 1))) % UInt32(candidates.count) + 1
            let start = Int(rng.next() % UInt64(pages.count))
            let copies = [first, second].map { grant in
                paragraphs(of: grant, from: start, words: words, watermarker: watermarker)
            }
            let mixed = Self.mix(copies[0], copies[1], mixing, words: words, rng: &rng)
            switch tracer.trace(mixed, candidates: candidates) {
            case .traced(let grant, _, _):
                if grant == first || grant == second { outcome.named += 1 } else { outcome.innocent += 1 }
            case .mixed(let grants, _, _):
                if grants.allSatisfy({ $0 == first || $0 == second }) {
                    outcome.named += 1
                    if grants.count == 2 { outcome.both += 1 }
                } else {
                    outcome.innocent += 1
                }
            default: outcome.unnamed += 1
            }
        }
        return outcome
    }

    /// A buyer's copy of consecutive pages from `start`, as paragraphs of text, until there are `words` words.
    func paragraphs(of grant: UInt32, from start: Int, words: Int, watermarker: Watermarker) -> [String] {
        var result: [String] = []
        var count = 0
        var index = start
        while count < words {
            let html = watermarker.render(pages[index % pages.count], grant: grant, email: "b@example.com", order: "o")
            for paragraph in Self.paragraphs(ofHTML: html) where count < words {
                result.append(paragraph)
                count += Self.visibleWords(of: paragraph).count
            }
            index += 1
            if index - start > pages.count * 4 { break }  // pages too short to reach `words`
        }
        return result
    }

    /// Two copies of the same paragraphs mixed: alternate paragraphs, or each word from either copy; cut to
    /// `words` words.
    static func mix(
        _ first: [String], _ second: [String], _ mixing: Mixing, words: Int, rng: inout SplitMix64
    ) -> String {
        var tokens: [Substring] = []
        for (index, pair) in zip(first, second).enumerated() {
            switch mixing {
            case .paragraphs:
                tokens += Self.visibleWords(of: index % 2 == 0 ? pair.0 : pair.1)
            case .words:
                let a = Self.visibleWords(of: pair.0)
                let b = Self.visibleWords(of: pair.1)
                for (x, y) in zip(a, b) { tokens.append(rng.next() & 1 == 0 ? x : y) }
            }
        }
        return tokens.prefix(words).joined(separator: " ")
    }

    /// The lesson's blocks (paragraphs, list items, code blocks, headings, table cells) as text.
    static func paragraphs(ofHTML html: String) -> [String] {
        let article = Self.articleHTML(html)
        var blocks: [String] = []
        var rest = article
        let ends = ["</p>", "</li>", "</pre>", "</h2>", "</h3>", "</h4>", "</td>", "</th>", "</blockquote>"]
        while let end = ends.compactMap({ rest.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            blocks.append(Self.articleText(String(rest[..<end.upperBound])))
            rest = rest[end.upperBound...]
        }
        blocks.append(Self.articleText(String(rest)))
        return blocks.filter { !Self.visibleWords(of: $0).isEmpty }
    }
}
