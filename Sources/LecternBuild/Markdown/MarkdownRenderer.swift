import CCmarkGFM
import Foundation
import Glibc
import LecternCore

#if canImport(Glibc)
#endif

/// Renders GitHub-flavoured Markdown to HTML with cmark-gfm (tables, strikethrough, autolink,
/// tagfilter, task lists, footnotes), letting the caller check and rewrite every link and image URL.
///
/// Thread safety: the extension registry is global and filled once (`registerExtensions`) before any
/// renderer runs; each `render` call builds its own parser, so renders may run on many threads.
public struct MarkdownRenderer: Sendable {
    /// Raw HTML in the Markdown passes through only when true (cmark's "unsafe" mode).
    public var allowRawHTML: Bool

    public init(allowRawHTML: Bool = false) {
        self.allowRawHTML = allowRawHTML
        _ = MarkdownRenderer.registerExtensions
    }

    /// The result of a render: HTML plus facts the site needs without re-parsing.
    public struct Output: Sendable {
        public var html: String
        /// Plain text of the first paragraph, for meta descriptions of public pages.
        public var firstParagraph: String
        /// The whole text without markup (search index), blocks separated by newlines.
        public var plainText: String
        /// `plainText` without code blocks: what the leak lint compares. The same snippet in a free and a
        /// paid lesson is common (a schema, a command) and is not the paid lesson's prose.
        public var proseText = ""
        /// The `id` given to each heading, in document order (`## Install it` → `install-it`).
        public var headingIDs: [String]
        /// Source lines of images without alt text (the build refuses them: screen readers need it).
        public var imagesWithoutAlt: [Int]
    }

    /// Called for each link or image destination with its source line; returns the URL to emit.
    public typealias LinkRewriter = (_ url: String, _ isImage: Bool, _ line: Int) throws -> String

    static let extensionNames = ["table", "strikethrough", "autolink", "tagfilter", "tasklist"]

    private static let parseLock = NSLock()

    private static let registerExtensions: Void = {
        cmark_gfm_core_extensions_ensure_registered()
    }()

    /// - Parameters:
    ///   - collectText: gather `plainText` and `proseText` (search index, checks); off for pages that need only
    ///     HTML.
    ///   - proseOnly: gather only `proseText` (a paid lesson: compared by the leak lint, never indexed).
    public func render(
        _ markdown: String, firstLine: Int = 1, collectText: Bool = true, proseOnly: Bool = false,
        rewriteLink: LinkRewriter? = nil
    ) throws -> Output {
        var options = CMARK_OPT_FOOTNOTES
        if allowRawHTML { options |= CMARK_OPT_UNSAFE }
        guard let parser = cmark_parser_new(options) else {
            throw LecternError(.markdown, "cmark-gfm could not create a parser (out of memory)")
        }
        defer { cmark_parser_free(parser) }
        for name in Self.extensionNames {
            if let syntax = cmark_find_syntax_extension(name) {
                cmark_parser_attach_syntax_extension(parser, syntax)
            }
        }
        // Parsing holds a global lock: cmark-gfm adds the inline extensions' special characters to a
        // process-wide table when it parses inlines and removes them when done, so two parses at once
        // race (measured: 328 of 4,000 concurrent renders lost an autolink). HTML rendering, link
        // checking and templates stay parallel.
        Self.parseLock.lock()
        var source = markdown
        source.withUTF8 { buffer in  // the string's own bytes: no NUL-terminated copy
            guard let base = buffer.baseAddress else { return }
            cmark_parser_feed(parser, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), buffer.count)
        }
        let parsed = cmark_parser_finish(parser)
        Self.parseLock.unlock()
        guard let document = parsed else {
            throw LecternError(.markdown, "cmark-gfm could not parse the document")
        }
        defer { cmark_node_free(document) }

        var facts = try walk(
            document, firstLine: firstLine, collectText: collectText, proseOnly: proseOnly, rewriteLink: rewriteLink)
        guard let html = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser)) else {
            throw LecternError(.markdown, "cmark-gfm could not render HTML")
        }
        defer { free(html) }
        // Heading ids and highlighting work on cmark's bytes; one String is made at the end (each
        // String/bytes round trip re-validates UTF-8, which was 8 % of rendering).
        let rendered = UnsafeBufferPointer(
            start: UnsafeRawPointer(html).assumingMemoryBound(to: UInt8.self), count: strlen(html))
        facts.html = String(
            decoding: SyntaxHighlighter.highlight(HeadingAnchors.insert(ids: facts.headingIDs, into: Array(rendered))),
            as: UTF8.self)
        return facts
    }

    /// Visits every node once: rewrites link/image URLs, gathers the first paragraph, the plain text,
    /// heading ids and images without alt text.
    private func walk(
        _ document: OpaquePointer, firstLine: Int, collectText: Bool, proseOnly: Bool, rewriteLink: LinkRewriter?
    ) throws -> Output {
        let collectPlain = collectText && !proseOnly
        var output = Output(html: "", firstParagraph: "", plainText: "", headingIDs: [], imagesWithoutAlt: [])
        guard let iterator = cmark_iter_new(document) else { return output }
        defer { cmark_iter_free(iterator) }
        var paragraphState = 0  // 0: not seen, 1: inside the first top-level paragraph, 2: done
        var heading: String?
        var image: (line: Int, alt: String)?
        var slugs = HeadingAnchors()
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard let node = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(node)
            if type == CMARK_NODE_PARAGRAPH, paragraphState < 2,
                cmark_node_get_type(cmark_node_parent(node)) == CMARK_NODE_DOCUMENT
            {
                paragraphState = event == CMARK_EVENT_ENTER ? 1 : 2
            }
            if type == CMARK_NODE_HEADING {
                if event == CMARK_EVENT_ENTER {
                    heading = ""
                } else if let text = heading {
                    output.headingIDs.append(slugs.unique(for: text))
                    heading = nil
                }
            }
            if type == CMARK_NODE_IMAGE, event == CMARK_EVENT_EXIT, let found = image {
                if found.alt.trimmingCharacters(in: .whitespaces).isEmpty { output.imagesWithoutAlt.append(found.line) }
                image = nil
            }
            if collectText, event == CMARK_EVENT_EXIT,
                type == CMARK_NODE_PARAGRAPH || type == CMARK_NODE_HEADING || type == CMARK_NODE_ITEM
            {
                if collectPlain { output.plainText += "\n" }
                output.proseText += "\n"
            }
            guard event == CMARK_EVENT_ENTER else { continue }
            // Text is copied out of cmark only where something needs it (most nodes of a paid lesson need none).
            let wantsText = collectText || paragraphState == 1 || heading != nil || image != nil
            if wantsText, type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE || type == CMARK_NODE_CODE_BLOCK,
                let literal = cmark_node_get_literal(node)
            {
                let text = String(cString: literal)
                if paragraphState == 1 { output.firstParagraph += text }
                heading? += text
                image?.alt += text
                if collectPlain {
                    output.plainText += text
                    if type == CMARK_NODE_CODE_BLOCK { output.plainText += "\n" }
                }
                if collectText, type != CMARK_NODE_CODE_BLOCK { output.proseText += text }
            } else if wantsText, type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK {
                if paragraphState == 1 { output.firstParagraph += " " }
                heading? += " "
                if collectPlain { output.plainText += " " }
                if collectText { output.proseText += " " }
            }
            // cmark lines are 1-based within the body; shift to the file's numbering.
            let line = Int(cmark_node_get_start_line(node)) + firstLine - 1
            if type == CMARK_NODE_IMAGE { image = (line, "") }
            if let rewriteLink, type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE,
                let url = cmark_node_get_url(node)
            {
                let original = String(cString: url)
                let rewritten = try rewriteLink(original, type == CMARK_NODE_IMAGE, line)
                if rewritten != original { cmark_node_set_url(node, rewritten) }
            }
        }
        return output
    }
}
