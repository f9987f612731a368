import Testing

@testable import LecternBuild
@testable import LecternCore

/// Every GFM extension the issue lists, through the real cmark-gfm library.
@Suite struct MarkdownRendererTests {
    let safe = MarkdownRenderer()
    let unsafe = MarkdownRenderer(allowRawHTML: true)

    @Test func table() throws {
        let html = try safe.render("| a | b |\n|---|:-:|\n| 1 | 2 |\n").html
        #expect(html.contains("<table>") && html.contains("<th>a</th>") && html.contains("<td align=\"center\">2</td>"))
    }

    @Test func strikethrough() throws {
        #expect(try safe.render("~~gone~~ kept").html.contains("<del>gone</del> kept"))
    }

    @Test func autolink() throws {
        #expect(
            try safe.render("see https://example.com/x now").html.contains(
                "<a href=\"https://example.com/x\">https://example.com/x</a>"))
    }

    @Test func taskList() throws {
        let html = try safe.render("- [x] done\n- [ ] todo\n").html
        #expect(html.contains("<input type=\"checkbox\" checked=\"\" disabled=\"\" /> done"))
        #expect(html.contains("<input type=\"checkbox\" disabled=\"\" /> todo"))
    }

    @Test func footnotes() throws {
        let html = try safe.render("Claim.[^n]\n\n[^n]: Source.\n").html
        #expect(
            html.contains("<sup class=\"footnote-ref\"><a href=\"#fn-n\" id=\"fnref-n\" data-footnote-ref>1</a></sup>"))
        #expect(html.contains("<section class=\"footnotes\" data-footnotes>") && html.contains("Source."))
    }

    @Test func rawHTMLIsOmittedByDefault() throws {
        let html = try safe.render("<div class=\"x\">hi</div>\n\nand <span>inline</span>\n").html
        #expect(!html.contains("<div class=\"x\">") && !html.contains("<span>"))
        #expect(html.contains("raw HTML omitted"))
    }

    @Test func rawHTMLPassesWhenAllowedButTagfilterStillDefangsScripts() throws {
        let html = try unsafe.render("<div class=\"x\">hi</div>\n\n<script>alert(1)</script>\n").html
        #expect(html.contains("<div class=\"x\">hi</div>"))
        #expect(html.contains("&lt;script>alert(1)&lt;/script>"), "tagfilter escapes <script> even in unsafe mode")
    }

    @Test func linkRewriterSeesEveryLinkWithItsFileLine() throws {
        var seen: [(String, Bool, Int)] = []
        let output = try safe.render("Intro\n\nA [link](a.md) here.\n\n![pic](p.png)\n", firstLine: 5) {
            url, isImage, line in
            seen.append((url, isImage, line))
            return "/rewritten/\(url)"
        }
        #expect(seen.map(\.0) == ["a.md", "p.png"])
        #expect(seen.map(\.1) == [false, true])
        #expect(seen.map(\.2) == [7, 9])
        #expect(output.html.contains("href=\"/rewritten/a.md\"") && output.html.contains("src=\"/rewritten/p.png\""))
        #expect(output.firstParagraph == "Intro")
    }
}

/// cmark-gfm keeps the special characters of inline extensions in a global table that each parse
/// adds to and removes from; parallel renders raced on it (an autolink sometimes not made). Every
/// concurrent render must give the same bytes.
struct MarkdownConcurrencyTests {
    @Test func concurrentRendersAreIdentical() throws {
        let markdown = """
            Visit https://sqlite.org/cli.html or www.example.com, ~~old~~ new, and a [link](https://a.test).

            | a | b |
            |---|---|
            | ~x~ | https://b.test |

            - [ ] task with www.c.test
            """
        let renderer = MarkdownRenderer()
        let expected = try renderer.render(markdown).html
        #expect(expected.contains("<a href=\"https://sqlite.org/cli.html\">") && expected.contains("<del>old</del>"))
        let outputs = try ParallelMap.run(Array(0..<4_000), progress: nil) { _ in try renderer.render(markdown).html }
        let differing = outputs.filter { $0 != expected }.count
        #expect(differing == 0, "\(differing) of \(outputs.count) concurrent renders differ")
    }
}

struct SyntaxHighlightingTests {
    @Test func codeBlocksGetTokenSpansAndKeepTheirText() throws {
        let markdown =
            "```sql\nSELECT name FROM t WHERE id = 42 AND note = 'a <b> & \"c\"'; -- why\n```\n\n```unknownlang\nSELECT 1\n```\n"
        let html = try MarkdownRenderer().render(markdown).html
        #expect(
            html.contains("<span class=\"tok-kw\">SELECT</span>") && html.contains("<span class=\"tok-num\">42</span>"))
        #expect(
            html.contains("<span class=\"tok-str\">&#39;a &lt;b&gt; &amp; &quot;c&quot;&#39;</span>")
                && html.contains("<span class=\"tok-com\">-- why</span>"))
        #expect(
            html.contains("<code class=\"language-unknownlang\">SELECT 1\n</code>"), "unknown languages are left alone")
        // Without the spans, the text is exactly what cmark-gfm alone produces.
        let plain = html.replacingOccurrences(of: #"<span class="tok-[a-z]+">"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: "</span>", with: "")
        #expect(
            plain.contains(
                "SELECT name FROM t WHERE id = 42 AND note = &#39;a &lt;b&gt; &amp; &quot;c&quot;&#39;; -- why")
                || plain.contains(
                    "SELECT name FROM t WHERE id = 42 AND note = 'a &lt;b&gt; &amp; &quot;c&quot;'; -- why")
        )
    }
}
