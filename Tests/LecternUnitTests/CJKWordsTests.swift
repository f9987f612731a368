import Foundation
import Testing

@testable import LecternBuild
@testable import LecternCore

/// Chinese text in the builder's word-based checks (the leak lint, related courses) and in names (slugs, URLs).
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

    @Test func slugsTakeChineseAndLowerCaseAndRefuseTheRest() {
        for good in ["getting-started", "写作课", "入门-sql", "第1课", "café", "жизнь", "かな", "한국어"] {
            #expect(LessonFileName.isValidSlug(good), "\(good)")
        }
        for bad in [
            "", "-a", "a-", "a--b", "Getting", "写作 课", "写作/课", "写作。课", "Été", "a.b", "%E5", "😀",
            String(repeating: "课", count: 67),
        ] {
            #expect(!LessonFileName.isValidSlug(bad), "\(bad)")
        }
    }

    @Test func chineseSlugsArePercentEncodedInEveryURLAndNothingElseChanges() {
        #expect(SiteRoutes.landing("写作课") == "/courses/%E5%86%99%E4%BD%9C%E8%AF%BE/")
        #expect(SiteRoutes.lesson("入门", course: "sql", free: false) == "/learn/sql/%E5%85%A5%E9%97%A8/")
        #expect(SiteRoutes.landing("practical-sqlite") == "/courses/practical-sqlite/")
        #expect(
            SiteRoutes.encodedPath("/courses/写作课/入门/") == "/courses/%E5%86%99%E4%BD%9C%E8%AF%BE/%E5%85%A5%E9%97%A8/")
        #expect(SiteRoutes.encodedPath("/courses/%E5%86%99作课/") == "/courses/%E5%86%99%E4%BD%9C%E8%AF%BE/")
        #expect(SiteRoutes.encodedPath("/files/a%20b.png") == "/files/a%20b.png")
        #expect(RequestPath("/courses/%E5%86%99%E4%BD%9C%E8%AF%BE/")?.segments == ["courses", "写作课"])
    }
}
