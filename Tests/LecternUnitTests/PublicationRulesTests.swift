import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild

/// The build refuses what `lectern check` calls an error before anything is published: a free page quoting a
/// paid lesson, a `#fragment` naming no heading (fixtures `invalid/paid-text-quoted*`, `invalid/broken-anchor`).
/// What it must let through: the same code block in a free and a paid lesson, and short common phrases.
struct PublicationRulesTests {
    func site(free: String, paid: String) throws -> TempSite {
        let site = try TempSite(copying: fixturesRoot.appendingPathComponent("invalid/paid-text-quoted"))
        try site.write("content/alpha/01-teaser.md", "---\ntitle: Teaser\nfree: true\n---\n" + free)
        try site.write("content/alpha/02-wal.md", "---\ntitle: The WAL\n---\n" + paid)
        return site
    }

    @Test func aSharedCodeBlockIsNotAQuote() throws {
        let code = "```sql\nSELECT id, name FROM t WHERE id = ?;\nCREATE INDEX t_by_name ON t (name);\n```\n"
        let site = try site(free: "Try this:\n\n" + code, paid: "The index again:\n\n" + code + "\nThen measure.\n")
        try site.build()
        #expect(SiteChecker(root: site.root).run().filter { $0.kind == .paidTextQuoted }.isEmpty)
    }

    /// A footer the creator repeats in every lesson is boilerplate, not one lesson's text: in three paid lessons
    /// it is no quote; in one, it would be.
    @Test func aFooterInEveryLessonIsNotAQuote() throws {
        let footer = "\n\nQuestions about this lesson? Reply to your purchase e-mail and I answer within a day.\n"
        let site = try site(free: "A free taste." + footer, paid: "The WAL in depth." + footer)
        for (index, name) in ["03-more", "04-last"].enumerated() {
            try site.write("content/alpha/\(name).md", "---\ntitle: More \(index)\n---\nAnother lesson." + footer)
        }
        try site.build()
        #expect(SiteChecker(root: site.root).run().filter { $0.kind == .paidTextQuoted }.isEmpty)
        for name in ["03-more", "04-last"] {
            try FileManager.default.removeItem(at: site.root.appendingPathComponent("content/alpha/\(name).md"))
        }
        #expect(lecternError { _ = try site.build() }?.message.contains("quotes the paid lesson") == true)
    }

    @Test func aQuoteIsRefusedWhereverTheBuildMeetsItAndNothingIsPublished() throws {
        let paid = "Checkpoints move the pages of the write-ahead log back into the main database file, in order.\n"
        let site = try site(
            free:
                "Intro.\n\n- a list item first\n- then: checkpoints move the pages of the write-ahead log back into the main database file\n",
            paid: paid)
        let error = lecternError { _ = try site.build() }
        #expect(error?.file == "content/alpha/01-teaser.md" && error?.line == 8, "\(String(describing: error))")
        #expect(error?.message.contains("quotes the paid lesson content/alpha/02-wal.md") == true)
        #expect(!site.exists("public") && !site.exists("paid"))
        // A shorter run is not a quote.
        try site.write(
            "content/alpha/01-teaser.md",
            "---\ntitle: Teaser\nfree: true\n---\nCheckpoints move the pages of the write-ahead log back home.\n")
        try site.build()
    }
}

/// The build's fast tokenizer cuts ASCII text exactly as `Words.of` does (the check's reference).
struct LeakLintTokenTests {
    @Test func theFastPathEqualsWordsOf() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcXYZ019 \n\t\r.,;:'\"-_()[]!?/\\*#`~\u{0B}")
        for length in [0, 1, 2, 5, 40, 400] {
            for _ in 0..<300 {
                let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
                let fast = LeakLint.tokens(text)
                let reference = LeakLint.wordTokens(text)
                #expect(
                    fast.hashes == reference.hashes && fast.weights == reference.weights, "\(text.debugDescription)")
            }
        }
        let chinese = LeakLint.tokens("写作变现 the key")
        #expect(chinese.weights == [1, 1, 1, 1, 2, 2])
    }
}

struct WindowSetTests {
    @Test func containsExactlyWhatItWasGiven() {
        var generator = SystemRandomNumberGenerator()
        let kept = (0..<5_000).map { _ in Int.random(in: .min ... .max, using: &generator) } + [0, 1, -1, .min, .max]
        let set = WindowSet(kept)
        #expect(kept.allSatisfy(set.contains))
        let others = (0..<5_000).map { _ in Int.random(in: .min ... .max, using: &generator) }.filter {
            !kept.contains($0)
        }
        #expect(!others.contains(where: set.contains))
        #expect(WindowSet().isEmpty && !WindowSet().contains(0) && !WindowSet([5]).contains(0))
    }
}
