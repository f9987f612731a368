import Crypto
import Foundation
import LecternCommerce
import LecternCore

/// The leak-tracing experiment behind `lectern bench trace`: many buyers' copies of real paid pages,
/// random excerpts as a reader's copy-paste would give (tags stripped), traced back.
public struct TraceExperiment {
    /// How an excerpt's length is counted: words for languages that space them, visible characters
    /// for Chinese and Japanese (a 150-character excerpt is a paragraph or two).
    public enum Unit: String, Sendable { case words, characters }

    public struct Outcome: Sendable {
        public var length: Int
        public var unit: Unit
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

    /// Traces `excerpts` random excerpts of `length` words or characters; every named grant is checked.
    public func run(length: Int, unit: Unit, excerpts: Int) -> Outcome {
        trace(length: length, unit: unit, excerpts: excerpts, seedOffset: 0) { text, rng in
            switch unit {
            case .words: Self.wordExcerpt(of: text, words: length, rng: &rng)
            case .characters: Self.characterExcerpt(of: text, characters: length, rng: &rng)
            }
        }
    }

    /// Random buyers' copies of random pages (the article's text), cut by `excerpt` and traced.
    func trace(
        length: Int, unit: Unit, excerpts: Int, seedOffset: UInt64,
        excerpt: (String, inout SplitMix64) -> String
    ) -> Outcome {
        var rng = SplitMix64(seed: seed &+ UInt64(min(length, 1 << 30)) &+ seedOffset)
        let fingerprint = Fingerprint(secret: SymmetricKey(size: .bits256))
        let watermarker = Watermarker(fingerprint: fingerprint)
        let tracer = LeakTracer(fingerprint: fingerprint)
        var outcome = Outcome(length: length, unit: unit, excerpts: excerpts, right: 0, wrong: 0, unnamed: 0)
        for _ in 0..<excerpts {
            let grant = UInt32(rng.next() % UInt64(buyers)) + 1
            let page = pages[Int(rng.next() % UInt64(pages.count))]
            let html = watermarker.render(page, grant: grant, email: "buyer\(grant)@example.com", order: "o\(grant)")
            switch tracer.trace(excerpt(Self.articleText(html), &rng)) {
            case .traced(let named, _, _): if named == grant { outcome.right += 1 } else { outcome.wrong += 1 }
            default: outcome.unnamed += 1
            }
        }
        return outcome
    }

    static func wordExcerpt(of text: String, words: Int, rng: inout SplitMix64) -> String {
        let all = readerWords(of: text)
        let count = min(words, all.count)
        let start = all.count > count ? Int(rng.next() % UInt64(all.count - count + 1)) : 0
        return all[start..<(start + count)].joined(separator: " ")
    }

    /// `characters` visible characters in a row (white space collapsed and not counted, the invisible mark
    /// inside the window kept, as a selection in a browser would give it).
    static func characterExcerpt(of text: String, characters: Int, rng: inout SplitMix64) -> String {
        let collapsed = Array(visibleWords(of: text).joined(separator: " "))
        // White space is not counted: in Chinese it is layout (a PDF's text breaks every line and puts each
        // invisible character on a line of its own).
        let visible = collapsed.indices.filter { !isMarkCharacter(collapsed[$0]) && !collapsed[$0].isWhitespace }
        let count = min(characters, visible.count)
        guard count > 0 else { return "" }
        let first = visible.count > count ? Int(rng.next() % UInt64(visible.count - count + 1)) : 0
        return String(collapsed[visible[first]...visible[first + count - 1]])
    }

    private static func isMarkCharacter(_ character: Character) -> Bool {
        character.unicodeScalars.allSatisfy(InvisibleMarkCodec.isMarkScalar)
    }

    /// The lesson text between `<article` and `</article>`, tags removed, entities decoded: what a
    /// reader selecting the lesson and copying it would paste.
    static func articleText(_ html: String) -> String {
        // One pass over scalars, not four `replacingOccurrences` over the whole text (slow in Foundation on
        // Linux) and a Character append per character: real-prose lessons run to hundreds of kilobytes.
        let body = Array(articleHTML(html).unicodeScalars)
        let entities: [(name: [Unicode.Scalar], value: Unicode.Scalar)] = [
            (Array("lt;".unicodeScalars), "<"), (Array("gt;".unicodeScalars), ">"),
            (Array("quot;".unicodeScalars), "\""), (Array("amp;".unicodeScalars), "&"),
        ]
        var text = String.UnicodeScalarView()
        var inTag = false
        var index = 0
        while index < body.count {
            let scalar = body[index]
            index += 1
            if scalar == "<" {
                inTag = true
                text.append(" ")
            } else if scalar == ">" {
                inTag = false
            } else if !inTag {
                if scalar == "&",
                    let entity = entities.first(where: { body[index...].starts(with: $0.name) })
                {
                    text.append(entity.value)
                    index += entity.name.count
                } else {
                    text.append(scalar)
                }
            }
        }
        return String(text)
    }

    /// Words as a reader counts them: a token of invisible characters alone (a PDF's text puts each on a line
    /// of its own) belongs to the word after it.
    static func readerWords(of text: String) -> [String] {
        var words: [String] = []
        var pending = ""
        for token in visibleWords(of: text) {
            pending += pending.isEmpty ? String(token) : "\n" + token
            if !token.allSatisfy(isMarkCharacter) {
                words.append(pending)
                pending = ""
            }
        }
        return words
    }

    /// The page's `<article>` (the lesson), or the whole text when it has none.
    static func articleHTML(_ html: String) -> Substring {
        guard let start = html.range(of: "<article"), let end = html.range(of: "</article>") else {
            return Substring(html)
        }
        return html[start.lowerBound..<end.lowerBound]
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
