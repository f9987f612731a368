import Crypto
import Foundation
import LecternTestSupport
import Testing

@testable import LecternBench
@testable import LecternCommerce
@testable import LecternCore

/// The invisible mark in Chinese and Japanese text, which has no spaces between words.
@Suite struct CJKMarkTests {
    let fingerprint = Fingerprint(secret: SymmetricKey(data: Data(repeating: 9, count: 32)))

    /// The character that follows each insertion point.
    func charactersAfterPoints(_ html: String) -> [Character] {
        let bytes = Array(html.utf8)
        return InsertionPoints.find(in: html).map { offset in
            String(decoding: bytes[offset...], as: UTF8.self).first ?? "?"
        }
    }

    @Test func everySecondPairOfIdeographsGetsAPointAndCodeAndPunctuationNone() {
        // Pairs in 数据库是一个文件: 数据 据库 库是 是一 一个 个文 文件 — points before the 2nd, 4th, 6th pair's
        // second character; none at 。 (punctuation), none in code, a word gap after "a ".
        let html = "<p>数据库是一个文件。</p><pre><code>中文代码里没有</code></pre><p>a 中文，<b>好的</b>书</p>"
        #expect(charactersAfterPoints(html) == ["库", "一", "文", "中", "文"])
        // Japanese: kana count, small kana (ょ) and the prolonged mark (ー) never start a point.
        #expect(charactersAfterPoints("<p>きょうはデータベース</p>").allSatisfy { $0 != "ょ" && $0 != "ー" })
        #expect(!charactersAfterPoints("<p>きょうはデータベース</p>").isEmpty)
        // Attributes are never touched, even when they hold Chinese.
        #expect(InsertionPoints.find(in: "<a title=\"中文中文中文\" href=\"/课程/中文\">x</a>").isEmpty)
    }

    @Test func aMarkedChineseParagraphRendersTheSameTextAndTracesFromAShortExcerpt() throws {
        let paragraph = String(
            repeating: "知识付费的核心不是流量，而是信任。读者愿意为一门课付钱，是因为相信你能帮他少走弯路。", count: 6)
        let page = try #require(
            PaidPage.assemble(
                renderedLayout: "<html><body>STAMP<article>BODY</article></body></html>", stampPlaceholder: "STAMP",
                bodyPlaceholder: "BODY", body: "<p>\(paragraph)</p>", course: "c", lesson: "l", title: "t",
                availableAfterDays: nil))
        let html = Watermarker(fingerprint: fingerprint).render(page, grant: 777, email: "读者@例子.中国", order: "K7QD")
        let visible = InvisibleMarkCodec.removingMark(html)
        #expect(visible.contains(paragraph))
        var rng = SplitMix64(seed: 5)
        let excerpt = TraceExperiment.characterExcerpt(
            of: TraceExperiment.articleText(html), characters: 150, rng: &rng)
        #expect(excerpt.unicodeScalars.filter { !InvisibleMarkCodec.isMarkScalar($0) }.count == 150)
        guard case .traced(grant: 777, _, _) = LeakTracer(fingerprint: fingerprint).trace(excerpt) else {
            Issue.record(
                "a 150-character Chinese excerpt did not trace: \(LeakTracer(fingerprint: fingerprint).trace(excerpt))")
            return
        }
    }

    /// The issue's bar: 150-character excerpts of the example's Chinese course trace to the right buyer
    /// among 1,000 at least 99 % of the time, and never to a wrong one.
    @Test func excerptsOfTheChineseCourseNameTheirBuyer() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        let pages = try site.paidPages(of: "zhishi-fufei-xiezuo")
        #expect(pages.count == 3)
        let outcome = TraceExperiment(pages: pages, buyers: 1_000).run(length: 150, unit: .characters, excerpts: 200)
        #expect(outcome.right >= 198 && outcome.wrong == 0, "\(outcome)")
    }

    /// A cleaned copy of the Chinese course (Cf deleted, NFKC — which turns full-width punctuation into ASCII —
    /// white space collapsed) still names its buyer from 300 characters, through the combining channel.
    @Test func cleanedChineseExcerptsNameTheirBuyer() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        let pages = try site.paidPages(of: "zhishi-fufei-xiezuo")
        let experiment = TraceExperiment(pages: pages, buyers: 1_000)
        let outcome = experiment.runCleaned(length: 300, unit: .characters, excerpts: 40)
        #expect(outcome.right >= 38 && outcome.wrong == 0, "\(outcome)")
    }

    @Test func copiesServedWithWordJoinersStillTrace() {
        // Before Chinese was marked the second symbol was WORD JOINER; leaked copies from then must still trace.
        let old = InvisibleMarkCodec.chunks(for: fingerprint.mark(grant: 12)).map {
            $0.replacingOccurrences(of: "\u{2061}", with: "\u{2060}")
        }
        #expect(old.joined().contains("\u{2060}"))
        guard case .traced(grant: 12, _, _) = LeakTracer(fingerprint: fingerprint).trace(old.joined(separator: " w "))
        else {
            Issue.record("a copy with word joiners did not trace")
            return
        }
    }
}
