import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild
@testable import LecternCommerce
@testable import LecternConfig
@testable import LecternCore

/// Reader-facing words come from `site-template/strings/<language>.toml`: the example site in Chinese.
@Suite struct SiteLanguageTests {
    func chineseSite() throws -> TempSite {
        let site = try TempSite(withExampleContent: true)
        let config = try site.read("lectern.toml").replacingOccurrences(
            of: "language = \"en\"", with: "language = \"zh-CN\"")
        try site.write("lectern.toml", config)
        return site
    }

    @Test func aChineseSiteSpeaksChineseOnEveryPageAReaderSees() throws {
        let site = try chineseSite()
        try site.build()
        let landing = try site.read("public/courses/zhishi-fufei-xiezuo/index.html")
        #expect(landing.contains("<html lang=\"zh-CN\">"))
        #expect(landing.contains("购买课程 · ¥99.00") && landing.contains("课程大纲") && landing.contains("免费试读"))
        #expect(try site.read("public/courses/practical-sqlite/index.html").contains("购买课程 · US$49.00"))
        let home = try site.read("public/index.html")
        #expect(home.contains("搜索免费课") && home.contains("data-many=\"找到 {count} 条结果\""))
        #expect(home.contains("共 5 节 · 2 节免费"))

        var pages = ["public/courses/zhishi-fufei-xiezuo/index.html", "public/404.html"]
        pages += ["public/courses/zhishi-fufei-xiezuo/xuanti/index.html", "paid/zhishi-fufei-xiezuo/xiezuo.page"]
        pages += GateShell.Variant.allCases.map { "paid/\($0.fileName)" }
        let phrases = try SiteLanguageProbe.englishPhrases()
        #expect(phrases.count > 30)
        for page in pages {
            let html = try site.read(page)
            for phrase in phrases where SiteLanguageProbe.shows(html, phrase) {
                Issue.record("\(page) shows the English \"\(phrase)\"")
            }
        }
        #expect(try site.read("paid/_gate/link-expired.html").contains("<h1>链接已过期</h1>"))
        // Nothing before the page: a template comment holding `}}` once leaked its rest onto every gate page.
        for variant in GateShell.Variant.allCases {
            #expect(try site.read("paid/\(variant.fileName)").hasPrefix("<!doctype html>"), "\(variant)")
        }
        #expect(try site.read("public/404.html").contains("<title>页面不存在</title>"))

        // The daemon's words: the stamp and dates, from the manifest.
        let manifest = try BuildManifest.load(from: site.root.appendingPathComponent("paid/manifest.json"))
        let wording = try #require(manifest.wording)
        #expect(wording.date(Date(timeIntervalSince1970: 1_796_428_800)) == "2026年12月5日")
        #expect(wording.stamp(email: "读者@例子.中国", order: "K7QD") == "授权给 读者@例子.中国 · 订单 K7QD")
    }

    @Test func theLinkEMailIsInTheSitesLanguageWithTheCoursesTitle() async throws {
        let shop = try LinkLetterTests.Shop(language: "zh-CN")
        var emails: [EmailKind: (subject: String, body: String)] = [:]
        for kind in EmailKind.allCases {
            let now = Date()
            let grant = try shop.grant("读者@例子.中国", "zhishi-fufei-xiezuo", kind: kind, hold: 0, at: now)
            #expect(try await shop.sender.sendDue(now: now) == 1)
            let sent = try #require(shop.mailbox.messages.last)
            emails[kind] = (sent.subject, sent.body)
            _ = try shop.store.write { try $0.execute(sql: "DELETE FROM grants WHERE id = ?", arguments: [grant]) }
        }
        let (draft, resend, comp) = try (
            #require(emails[.purchase]), #require(emails[.resend]), #require(emails[.comp])
        )
        #expect(Set([draft.subject, resend.subject, comp.subject]).count == 3, "each kind reads differently")
        #expect(!resend.body.contains("感谢你购买") && comp.body.contains("R&D School 为你开通了"))
        #expect(draft.subject == "《写作变现：把你的专业知识做成一门付费课》的访问链接 · R&D School")
        #expect(draft.body.hasPrefix("感谢你购买《写作变现") && draft.body.contains("链接 30 天内有效"))
        #expect(draft.body.contains("\nhttps://school.example/learn/zhishi-fufei-xiezuo/?token="))
        #expect(draft.body.hasSuffix("—— R&D School\n"), "plain text: nothing HTML-escaped")

        // The subject as encoded words of at most 75 characters, folded, decoding back to itself.
        let message = try MailMessage.render(
            from: "School <school@example.com>", to: try #require(EmailAddress("读者@例子.中国")),
            subject: draft.subject, body: draft.body, messageID: "m1@example.com")
        let header = try #require(message.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }.first)
        var lines = [header]
        for line in message.components(separatedBy: "\r\n").drop(while: { $0 != header }).dropFirst() {
            guard line.hasPrefix(" ") else { break }
            lines.append(line)
        }
        let words = lines.map {
            $0.replacingOccurrences(of: "Subject: ", with: "").trimmingCharacters(in: .whitespaces)
        }
        #expect(words.count > 1 && words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") })
        let decoded = words.map { word in
            Data(base64Encoded: String(word.dropFirst("=?UTF-8?B?".count).dropLast(2))).map {
                String(decoding: $0, as: UTF8.self)
            } ?? "?"
        }.joined()
        #expect(decoded == draft.subject)
    }

    @Test func anEnglishSiteKeepsItsWordsAndTheOldDateAndStamp() throws {
        let site = try TempSite(withExampleContent: true)
        try site.build()
        let manifest = try BuildManifest.load(from: site.root.appendingPathComponent("paid/manifest.json"))
        #expect(manifest.wording == ReaderWording.english)
        #expect(try site.read("public/courses/practical-sqlite/index.html").contains("Buy the course · $49.00"))
        #expect(try site.read("public/courses/zhishi-fufei-xiezuo/index.html").contains("CN¥99.00"))
    }

    @Test func checkListsMissingStringsAndBuildRefusesAnUnknownOne() throws {
        let site = try chineseSite()
        let own = try site.read("site-template/strings/zh-CN.toml")
        try site.write(
            "site-template/strings/zh-CN.toml",
            own.split(separator: "\n").filter { !$0.hasPrefix("renew ") }.joined(separator: "\n"))
        let problems = SiteChecker(root: site.root).run().filter { $0.kind == .missingString }
        #expect(problems.count == 1 && problems.first?.message.contains("`renew`") == true, "\(problems)")
        #expect(problems.first?.severity == .warning)

        try site.write("lectern.toml", try site.read("lectern.toml").replacingOccurrences(of: "zh-CN", with: "fr"))
        let french = SiteChecker(root: site.root).run().filter { $0.kind == .missingString }
        #expect(french.count == 1 && french.first?.file == "site-template/strings/fr.toml")

        let course = try site.read("site-template/layouts/course.mustache")
        try site.write("site-template/layouts/course.mustache", course + "\n<p>{{> t.no_such_words}}</p>\n")
        let error = lecternError { _ = try site.build() }
        #expect(error?.file == "site-template/layouts/course.mustache" && error?.line != nil)
        #expect(error?.message.contains("no string `no_such_words`") == true, "\(String(describing: error))")
    }
}
