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
        #expect(chunks.count == 16 && chunks.allSatisfy { $0.unicodeScalars.count == 4 })
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
    }

    @Test func tracerNamesOnlyVerifiedMarks() {
        let tracer = LeakTracer(fingerprint: fingerprint)
        #expect(tracer.trace("Plain text that was never watermarked.") == .noFingerprint)
        let sixteen = InvisibleMarkCodec.chunks(for: fingerprint.mark(grant: 5)).joined(separator: " x ")
        guard case .traced(grant: 5, chunks: 16, _) = tracer.trace(sixteen) else {
            Issue.record("expected grant 5, got \(tracer.trace(sixteen))")
            return
        }
        let eight = InvisibleMarkCodec.chunks(for: fingerprint.mark(grant: 5)).prefix(8).joined(separator: " x ")
        #expect(tracer.trace(eight) == .incomplete(chunks: 8, covered: 8))
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
        let invisible = CharacterSet(charactersIn: "\u{2064}\u{2061}\u{2062}\u{2063}")
        let visible = String(String.UnicodeScalarView(html.unicodeScalars.filter { !invisible.contains($0) }))
        #expect(
            visible
                == page.splice(
                    stamp: Watermarker.stamp(email: "ada+<x>@example.com", order: "ord_1"), mark: { _ in nil }))
        // Code, URLs and attributes are untouched.
        let pre = try #require(html.range(of: "<pre>")).lowerBound
        let preEnd = try #require(html.range(of: "</pre>")).upperBound
        #expect(!html[pre..<preEnd].unicodeScalars.contains { invisible.contains($0) })
        #expect(html.contains("href=\"/learn/practical-sqlite/wal-mode/\""))
        let text = TraceExperiment.articleText(html)
        let excerpt = TraceExperiment.visibleWords(of: text).suffix(80).joined(separator: " ")
        guard case .traced(grant: 1042, _, _) = LeakTracer(fingerprint: fingerprint).trace(excerpt) else {
            Issue.record("the last 80 words of the lesson did not trace")
            return
        }
    }
}
