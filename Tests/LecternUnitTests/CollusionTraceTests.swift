import Crypto
import Foundation
import LecternTestSupport
import Testing

@testable import LecternBench
@testable import LecternCommerce
@testable import LecternCore

/// Tracing copies that were mixed, printed to PDF or saved as HTML (issue 15).
@Suite struct CollusionTraceTests {
    let fingerprint = Fingerprint(secret: SymmetricKey(data: Data(repeating: 9, count: 32)))
    let candidates = (1...UInt32(1_000)).map { $0 }

    /// A copy of `words` words: word gap i carries chunk i mod 16 of `grant`, glued to the word as served.
    func copy(of grant: UInt32, words: Int) -> [String] {
        let chunks = InvisibleMarkCodec.chunks(for: fingerprint.mark(grant: grant))
        return (0..<words).map { chunks[$0 % 16] + "word\($0 % 97)" }
    }

    @Test func aPDFsRawTextWithEachInvisibleCharacterOnItsOwnLineTraces() {
        // What `pdftotext -raw` gives for a page printed by Chromium: every zero-width character on a line.
        let lines = copy(of: 77, words: 40).map { word in
            word.unicodeScalars.map { scalar in
                (0x2061...0x2064).contains(scalar.value) ? String(Character(scalar)) + "\n" : String(Character(scalar))
            }.joined()
        }
        let text = lines.joined(separator: " ")
        #expect(text.contains("\u{2064}\n"))
        guard case .traced(grant: 77, _, _) = LeakTracer(fingerprint: fingerprint).trace(text) else {
            Issue.record("the PDF-like text did not trace: \(LeakTracer(fingerprint: fingerprint).trace(text))")
            return
        }
    }

    /// A copy as it comes out of a PDF reader or an e-mail: lines wrapped, words hyphenated at line ends, a
    /// running header and a page number every 40 words, white space doubled, tabs.
    @Test func textRewrappedHyphenatedAndInterruptedByPageHeadersTraces() {
        var rng = SplitMix64(seed: 21)
        var mangled = ""
        for (index, word) in copy(of: 88, words: 300).enumerated() {
            if index % 40 == 0 {
                mangled += "\n\nPractical SQLite — Transactions and durability\t\(index / 40 + 1)\n\n"
            }
            if index % 9 == 8, let cut = word.lastIndex(where: { $0.isLetter }) {
                mangled += word[..<cut] + "-\n" + word[cut...] + "  "  // hyphenated at the line's end
            } else {
                mangled += word + (rng.next() % 7 == 0 ? "\n" : rng.next() % 5 == 0 ? "\t " : " ")
            }
        }
        guard case .traced(grant: 88, _, _) = LeakTracer(fingerprint: fingerprint).trace(mangled) else {
            Issue.record("mangled text did not trace: \(LeakTracer(fingerprint: fingerprint).trace(mangled))")
            return
        }
    }

    /// Two buyers mix their copies paragraph by paragraph and clean the mix (Cf deleted, NFKC, white space
    /// collapsed): the combining channel still names both, and nobody else on record.
    @Test func aCleanedMixOfTwoCopiesNamesBothColluders() {
        let first = copy(of: 11, words: 600)
        let second = copy(of: 12, words: 600)
        var mixed = ""
        for paragraph in 0..<12 {
            let words = (paragraph % 2 == 0 ? first : second)[(paragraph * 50)..<(paragraph * 50 + 50)]
            mixed += words.joined(separator: "  ") + "\n\n"
        }
        let cleaned = TraceExperiment.cleaned(mixed)
        #expect(InvisibleMarkCodec.read(cleaned).formatChunks == 0)
        let result = LeakTracer(fingerprint: fingerprint).trace(cleaned, candidates: Array(1...1_000))
        guard case .mixed(grants: [11, 12], _, let bound) = result, bound <= 1e-6 else {
            Issue.record("a cleaned mix did not name both colluders: \(result)")
            return
        }
    }

    @Test func htmlWithTheMarkAsCharacterReferencesTraces() throws {
        let served = copy(of: 5, words: 40).joined(separator: " ")
        // As scrapers write them: hex, upper-case hex with zeros, decimal, decimal with zeros, hex with 40 zeros.
        // Before them, references that are not the mark's (left as they are).
        let others = "&#x41; &#; &#x; &#99999999999; &#x000000041; "
        var saved = others
        for (index, scalar) in served.unicodeScalars.enumerated() {
            let hex = String(scalar.value, radix: 16)
            saved +=
                !InvisibleMarkCodec.isMarkScalar(scalar)
                ? "\(scalar)"
                : [
                    "&#x\(hex);", "&#X\(String(repeating: "0", count: 9 - hex.count) + hex.uppercased());",
                    "&#\(scalar.value);", "&#0000\(scalar.value);", "&#x\(String(repeating: "0", count: 40))\(hex);",
                ][index % 5]
        }
        let text = try LeakDocument.text(of: Data(saved.utf8), file: nil)
        #expect(text.hasPrefix(others), "other references are left as they are")
        #expect(!text.dropFirst(others.count).contains("&#"), "every reference to a mark character is decoded")
        let reading = InvisibleMarkCodec.read(text)
        #expect(reading.formatChunks == 40 && reading.combiningChunks == 40, "\(reading)")
        guard case .traced(grant: 5, _, _) = LeakTracer(fingerprint: fingerprint).trace(text) else {
            Issue.record("a page saved with character references did not trace")
            return
        }
        #expect(LeakDocument.kind(of: Data("%PDF-1.7".utf8)) == .pdf)
        #expect(LeakDocument.kind(of: Data([0x50, 0x4B, 0x03, 0x04, 0])) == .epub)
        #expect(throws: LecternError.self) { try LeakDocument.text(of: Data("%PDF-1.7\n".utf8), file: nil) }
    }

    @Test func twoCopiesMixedByParagraphOrWordNameBothAndNobodyElse() {
        let tracer = LeakTracer(fingerprint: fingerprint)
        let (a, b) = (copy(of: 314, words: 1_000), copy(of: 42, words: 1_000))
        // By paragraph: 60 words from one, then 60 from the other.
        let byParagraph = (0..<1_000).map { (index: Int) -> String in (index / 60) % 2 == 0 ? a[index] : b[index] }
            .joined(separator: " ")
        var rng = SplitMix64(seed: 11)
        let byWord = (0..<1_000).map { (index: Int) -> String in rng.next() & 1 == 0 ? a[index] : b[index] }
            .joined(separator: " ")
        for text in [byParagraph, byWord] {
            guard case .mixed(let grants, _, let bound) = tracer.trace(text, candidates: candidates) else {
                Issue.record("a two-buyer mix was not named: \(tracer.trace(text, candidates: candidates))")
                continue
            }
            #expect(grants == [42, 314])
            #expect(bound <= 1_000 * pow(2.0 / 16, 16) && bound > 0)
        }
        // Without the grants on record the mix names nobody (the majority mark does not verify).
        if case .traced = tracer.trace(byWord) { Issue.record("a mix named one buyer from the majority alone") }
        // One buyer's copy with the grants on record is an ordinary trace (1,000 gaps, a chunk in each channel).
        #expect(
            tracer.trace(a.joined(separator: " "), candidates: candidates)
                == .traced(grant: 314, chunks: 2_000, agreement: 1))
    }

    @Test func manyCopiesMixedNameNoOneWhoDidNotTakePart() {
        let tracer = LeakTracer(fingerprint: fingerprint)
        var rng = SplitMix64(seed: 5)
        for round in 0..<20 {
            let colluders = (0..<(3 + round % 6)).map { _ in UInt32(rng.next() % 1_000) + 1 }
            let copies = colluders.map { copy(of: $0, words: 1_000) }
            let text = (0..<1_000).map { (index: Int) -> String in copies[Int(rng.next() % UInt64(copies.count))][index]
            }
            .joined(separator: " ")
            switch tracer.trace(text, candidates: candidates) {
            case .mixed(let grants, _, let bound):
                #expect(grants.allSatisfy(colluders.contains), "an innocent buyer was named")
                #expect(bound <= LeakTracer.maximumFalseAccusation)
            case .traced(let grant, _, _):
                #expect(colluders.contains(grant), "an innocent buyer was named")
            default: break  // too many copies to name anyone safely
            }
        }
    }

    /// The benchmark's collusion rows, on the example course (a smaller sample): two buyers of 1,000 mixed by
    /// paragraph or word by word; a colluder is named every time here, an innocent never.
    @Test func theCollusionExperimentOnTheExampleCourse() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        let folder = site.root.appendingPathComponent("paid/practical-sqlite")
        let pages = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            .filter { $0.hasSuffix(".page") }
            .map { try PaidPage.decode(try Data(contentsOf: folder.appendingPathComponent($0)), file: $0) }
        let experiment = TraceExperiment(pages: pages, buyers: 1_000, seed: 7)
        for mixing in [TraceExperiment.Mixing.paragraphs, .words] {
            let outcome = experiment.runMixed(mixing, words: 1_000, excerpts: 10)
            #expect(outcome.innocent == 0)
            #expect(outcome.named == 10, "\(mixing): \(outcome)")
        }
    }
}
