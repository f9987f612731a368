import CCmarkGFM
import Foundation
#if canImport(Glibc)
import Glibc
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
    }

    /// Called for each link or image destination with its source line; returns the URL to emit.
    public typealias LinkRewriter = (_ url: String, _ isImage: Bool, _ line: Int) throws -> String

    static let extensionNames = ["table", "strikethrough", "autolink", "tagfilter", "tasklist"]

    private static let registerExtensions: Void = {
        cmark_gfm_core_extensions_ensure_registered()
    }()

    public func render(_ markdown: String, firstLine: Int = 1, rewriteLink: LinkRewriter? = nil) throws -> Output {
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
        markdown.utf8CString.withUnsafeBufferPointer { buffer in
            // The buffer includes the trailing NUL, which is not part of the document.
            cmark_parser_feed(parser, buffer.baseAddress, buffer.count - 1)
        }
        guard let document = cmark_parser_finish(parser) else {
            throw LecternError(.markdown, "cmark-gfm could not parse the document")
        }
        defer { cmark_node_free(document) }

        let firstParagraph = try walk(document, firstLine: firstLine, rewriteLink: rewriteLink)
        guard let html = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser)) else {
            throw LecternError(.markdown, "cmark-gfm could not render HTML")
        }
        defer { free(html) }
        return Output(html: String(cString: html), firstParagraph: firstParagraph)
    }

    /// Visits every node once: rewrites link/image URLs and gathers the first paragraph's text.
    private func walk(_ document: OpaquePointer, firstLine: Int, rewriteLink: LinkRewriter?) throws -> String {
        guard let iterator = cmark_iter_new(document) else { return "" }
        defer { cmark_iter_free(iterator) }
        var firstParagraph = ""
        var paragraphState = 0  // 0: not seen, 1: inside the first top-level paragraph, 2: done
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard let node = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(node)
            if type == CMARK_NODE_PARAGRAPH, paragraphState < 2,
               cmark_node_get_type(cmark_node_parent(node)) == CMARK_NODE_DOCUMENT {
                paragraphState = event == CMARK_EVENT_ENTER ? 1 : 2
            }
            guard event == CMARK_EVENT_ENTER else { continue }
            if paragraphState == 1, type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE,
               let literal = cmark_node_get_literal(node) {
                firstParagraph += String(cString: literal)
            } else if paragraphState == 1, type == CMARK_NODE_SOFTBREAK {
                firstParagraph += " "
            }
            if let rewriteLink, type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE,
               let url = cmark_node_get_url(node) {
                let original = String(cString: url)
                // cmark lines are 1-based within the body; shift to the file's numbering.
                let line = Int(cmark_node_get_start_line(node)) + firstLine - 1
                let rewritten = try rewriteLink(original, type == CMARK_NODE_IMAGE, line)
                if rewritten != original { cmark_node_set_url(node, rewritten) }
            }
        }
        return firstParagraph
    }
}
