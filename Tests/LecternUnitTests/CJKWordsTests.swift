import Foundation
import Testing

@testable import LecternBuild

/// Chinese text in the builder's word-based checks: the leak lint and related courses.
@Suite struct CJKWordsTests {
    let paid = "知识付费的核心不是流量，而是信任。读者愿意为一门课付钱，是因为相信你能帮他少走弯路，省下摸索的时间。"

    @Test func ideographsAreTokensOfTheirOwnAndLatinWordsStayWhole() {
        #expect(Words.of("用 Markdown 写课，99 元。") == ["用", "markdown", "写", "课", "99", "元"])
        #expect(Words.join(["用", "markdown", "写", "课"]) == "用 markdown 写课")
        #expect(Words.terms("知识付费 SQLite") == ["知识", "识付", "付费", "sqlite"])
    }

    @Test func aFreePageQuotingTwentyCharactersOfAPaidLessonIsCaught() {
        var lint = LeakLint()
        lint.addPaid(paid, source: "paid.md")
        // Twenty ideographs in a row (punctuation does not count): quoted.
        let quote = try? #require(lint.firstQuote(in: "前言：读者愿意为一门课付钱，是因为相信你能帮他少走弯路。"))
        #expect(quote?.paidSource == "paid.md")
        #expect(quote?.quote.hasPrefix("读者愿意为一门课付钱是因为") == true, "shown without spaces: \(quote?.quote ?? "")")
        // Fewer than twenty shared characters, or different text: not a quote.
        #expect(lint.firstQuote(in: "读者愿意为一门课付钱，因为他想学。") == nil)
        #expect(lint.firstQuote(in: "今天我们聊一聊如何为自己的课程定价，以及怎样选择支付方式。") == nil)
        // Ten English words still make a quote, as before.
        lint.addPaid("one two three four five six seven eight nine ten eleven", source: "en.md")
        #expect(lint.firstQuote(in: "x two three four five six seven eight nine ten eleven y")?.paidSource == "en.md")
    }

    @Test func chineseCoursesAboutTheSameThingAreRelated() {
        let a = RelatedCourses.terms("知识付费课程的定价与销售，支付宝和微信支付")
        let b = RelatedCourses.terms("知识付费课程怎样定价")
        #expect(a["知识", default: 0] == 1 && a["定价", default: 0] == 1 && b["付费", default: 0] == 1)
    }
}
