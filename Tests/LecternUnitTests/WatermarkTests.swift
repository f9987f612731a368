import Crypto
import Foundation
import LecternTestSupport
import Testing

@testable import LecternBench
@testable import LecternCommerce
@testable import LecternCore

@Suite struct WatermarkTests {
    let fingerprint = Fingerprint(secret: SymmetricKey(data: Data(repeating: 7, count: 32)))

    @Test func markRoundTripsAndIsNotTheRawId() {
        for grant: UInt32 in [0, 1, 2, 42, 1_000, 65_535, 4_000_000_000] {
            let mark = fingerprint.mark(grant: grant)
            #expect(fingerprint.open(mark) == grant)
            #expect(UInt32(truncatingIfNeeded: mark >> 32) != grant)
        }
        let other = Fingerprint(secret: SymmetricKey(data: Data(repeating: 8, count: 32)))
        #expect(other.open(fingerprint.mark(grant: 42)) == nil, "another site's secret cannot read the mark")
    }

    @Test func randomMarksAndSingleBitDamageNeverOpen() {
        var rng = SplitMix64(seed: 1)
        var opened = 0
        for _ in 0..<200_000 where fingerprint.open(rng.next()) != nil { opened += 1 }
        #expect(opened == 0)
        let mark = fingerprint.mark(grant: 1234)
        for bit in 0..<64 { #expect(fingerprint.open(mark ^ (1 << UInt64(bit))) == nil) }
    }

    @Test func codecReadsChunksAndIgnoresDamagedRuns() {
        let mark = fingerprint.mark(grant: 99)
        let chunks = InvisibleMarkCodec.chunks(for: mark)
        #expect(chunks.count == 16 && chunks.allSatisfy { $0.unicodeScalars.count == 7 })
        let words = (0..<40).map { "word\($0)" }
        var text = ""
        for (i, word) in words.enumerated() { text += (i == 0 ? "" : " " + chunks[(i - 1) % 16]) + word }
        #expect(InvisibleMarkCodec.read(text).mark == mark)
        // Drop one invisible character from one run: that run is ignored, the rest still decodes.
        var scalars = Array(text.unicodeScalars)
        if let first = scalars.firstIndex(where: {
            $0.value == 0x2064 || $0.value == 0x2061 || $0.value == 0x2062 || $0.value == 0x2063
        }) {
            scalars.remove(at: first)
        }
        var damaged = ""
        damaged.unicodeScalars.append(contentsOf: scalars)
        let reading = InvisibleMarkCodec.read(damaged)
        #expect(reading.damagedRuns == 1 && reading.mark == mark)
        #expect(reading.formatChunks == 38 && reading.combiningChunks == 39)
        // The same for a combining run that lost a selector; an emoji's own selector and a lone joiner in the
        // text are not read as the mark.
        scalars = Array(text.unicodeScalars)
        if let selector = scalars.firstIndex(where: { (0xFE00...0xFE0F).contains($0.value) }) {
            scalars.remove(at: selector)
        }
        damaged = "I ❤\u{FE0F} it. A\u{034F}B "
        damaged.unicodeScalars.append(contentsOf: scalars)
        #expect(InvisibleMarkCodec.removingMark(damaged).hasPrefix("I ❤\u{FE0F} it. AB word0 word1"))
        let again = InvisibleMarkCodec.read(damaged)
        #expect(again.damagedRuns == 2 && again.combiningChunks == 38 && again.mark == mark)
    }

    /// What one line of a text cleaner does to a leaked copy: format characters (Cf) deleted, NFKC, white space
    /// collapsed. The format channel is gone; the combining channel alone names the buyer, from a whole lesson
    /// and from 300 words, and the cleaned words are the lesson's own.
    @Test func aCopyWithFormatCharactersDeletedNormalisedAndCollapsedTraces() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        let pages = try site.paidPages(of: "practical-sqlite")
        let tracer = LeakTracer(fingerprint: fingerprint)
        for page in pages {
            let html = Watermarker(fingerprint: fingerprint).render(page, grant: 4_242, email: "a@b.c", order: "o")
            let cleaned = TraceExperiment.cleaned(TraceExperiment.articleText(html))
            #expect(!cleaned.unicodeScalars.contains { $0.properties.generalCategory == .format })
            let reading = InvisibleMarkCodec.read(cleaned)
            #expect(reading.formatChunks == 0 && reading.combiningChunks > 16, "\(page.lesson)")
            let plain = TraceExperiment.cleaned(
                TraceExperiment.articleText(page.splice(stamp: "", mark: { _ in nil })))
            #expect(
                InvisibleMarkCodec.removingMark(cleaned)
                    == plain)
            guard case .traced(grant: 4_242, _, _) = tracer.trace(cleaned) else {
                Issue.record("the cleaned lesson \(page.lesson) did not trace: \(tracer.trace(cleaned))")
                continue
            }
        }
        // The issue's rows, on a smaller sample (fixed positions, a new secret each run): whole lessons (shorter than 800 words) and 300 words.
        let experiment = TraceExperiment(pages: pages, buyers: 1_000)
        for length in [800, 300] {
            let outcome = experiment.runCleaned(length: length, unit: .words, excerpts: 40)
            #expect(outcome.right >= 38 && outcome.wrong == 0, "\(length) words: \(outcome)")
        }
    }

    @Test func tracerNamesOnlyVerifiedMarks() {
        let tracer = LeakTracer(fingerprint: fingerprint)
        #expect(tracer.trace("Plain text that was never watermarked.") == .noFingerprint)
        let sixteen = InvisibleMarkCodec.chunks(for: fingerprint.mark(grant: 5)).joined(separator: " x ")
        // Each chunk is read twice: once from either channel.
        guard case .traced(grant: 5, chunks: 32, _) = tracer.trace(sixteen) else {
            Issue.record("expected grant 5, got \(tracer.trace(sixteen))")
            return
        }
        let eight = InvisibleMarkCodec.chunks(for: fingerprint.mark(grant: 5)).prefix(8).joined(separator: " x ")
        #expect(tracer.trace(eight) == .incomplete(chunks: 16, covered: 8))
        // Random invisible noise covering every index: must not name anyone.
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2_000 {
            let noise = InvisibleMarkCodec.chunks(for: rng.next()).joined(separator: " y ")
            if case .traced = tracer.trace(noise) { Issue.record("named a buyer from random noise") }
        }
    }

    @Test func buyersCopyTracesBackAndLooksTheSame() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        let page = try PaidPage.decode(
            try Data(contentsOf: site.root.appendingPathComponent("paid/practical-sqlite/transactions.page")), file: "t"
        )
        let watermarker = Watermarker(fingerprint: fingerprint)
        let html = watermarker.render(page, grant: 1042, email: "ada+<x>@example.com", order: "ord_1")
        #expect(html.contains("Licensed to ada+&lt;x&gt;@example.com · order ord_1"))
        let visible = InvisibleMarkCodec.removingMark(html)
        #expect(
            visible
                == page.splice(
                    stamp: Watermarker.stamp(email: "ada+<x>@example.com", order: "ord_1"), mark: { _ in nil }))
        // Code, URLs and attributes are untouched.
        let pre = try #require(html.range(of: "<pre>")).lowerBound
        let preEnd = try #require(html.range(of: "</pre>")).upperBound
        #expect(!html[pre..<preEnd].unicodeScalars.contains(where: InvisibleMarkCodec.isMarkScalar))
        #expect(html.contains("href=\"/learn/practical-sqlite/wal-mode/\""))
        let text = TraceExperiment.articleText(html)
        let excerpt = TraceExperiment.visibleWords(of: text).suffix(80).joined(separator: " ")
        guard case .traced(grant: 1042, _, _) = LeakTracer(fingerprint: fingerprint).trace(excerpt) else {
            Issue.record("the last 80 words of the lesson did not trace")
            return
        }
    }
}
