import Crypto
import Foundation
import LecternCore

/// An EPUB 3 file of one buyer's edition: the chapters (XHTML fragments the builder made and the shelf
/// stamped and fingerprinted), a table of contents, the stylesheet and the images the chapters show. Valid
/// under W3C's epubcheck (the tests run Debian's).
struct EpubPackage {
    struct Chapter {
        var title: String
        /// The spliced `edition-chapter` fragment.
        var fragment: String
    }

    /// A file a chapter shows (`src="files/…"`): its href as written and its bytes.
    struct File {
        var href: String
        var path: String
        var mediaType: String
        var bytes: [UInt8]
    }

    /// Media types an EPUB reader must show (EPUB 3.3, core media types); an image of another type is left out.
    static let imageTypes: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"]

    var title: String
    var language: String
    /// Stable per buyer and course, so a reader app sees a re-download as the same book, updated.
    var identifier: String
    var modified: Date
    /// The stamp (HTML-escaped, so also valid XML text): the book's `dc:rights`.
    var rights: String
    var contentsHeading: String
    var chapters: [Chapter]
    var stylesheet: [UInt8]?
    var files: [File]

    func archive() throws -> [UInt8] {
        var zip = ZipArchive(modified: modified)
        // The mimetype first, stored: how a reader recognises the file (OCF 3.3, 4.2.6).
        try zip.add("mimetype", Array(EditionFormat.epub.contentType.utf8), method: .stored)
        try zip.add("META-INF/container.xml", Array(container.utf8))
        try zip.add("OEBPS/content.opf", Array(packageDocument.utf8))
        try zip.add("OEBPS/nav.xhtml", Array(navigation.utf8))
        if let stylesheet { try zip.add("OEBPS/edition.css", stylesheet) }
        for (index, chapter) in chapters.enumerated() {
            try zip.add("OEBPS/\(Self.chapterFile(index))", Array(document(chapter.title, body: chapter.fragment).utf8))
        }
        for file in files { try zip.add("OEBPS/\(file.path)", file.bytes) }
        return zip.finished()
    }

    static func chapterFile(_ index: Int) -> String { String(format: "c%03d.xhtml", index + 1) }

    private var container: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
          <rootfiles>
            <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
          </rootfiles>
        </container>

        """
    }

    private var packageDocument: String {
        let stamp = ISO8601DateFormatter().string(from: modified)
        var items = [
            #"<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>"#
        ]
        if stylesheet != nil { items.append(#"<item id="css" href="edition.css" media-type="text/css"/>"#) }
        for index in chapters.indices {
            items.append(
                #"<item id="c\#(index + 1)" href="\#(Self.chapterFile(index))" media-type="application/xhtml+xml"/>"#)
        }
        for (index, file) in files.enumerated() {
            items.append(
                #"<item id="f\#(index + 1)" href="\#(escape(file.href))" media-type="\#(file.mediaType)"/>"#)
        }
        let spine = chapters.indices.map { #"<itemref idref="c\#($0 + 1)"/>"# }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" \
            xml:lang="\(escape(language))">
              <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
                <dc:identifier id="book-id">\(identifier)</dc:identifier>
                <dc:title>\(escape(title))</dc:title>
                <dc:language>\(escape(language))</dc:language>
                <dc:rights>\(rights)</dc:rights>
                <meta property="dcterms:modified">\(stamp)</meta>
              </metadata>
              <manifest>
                \(items.joined(separator: "\n    "))
              </manifest>
              <spine>
                \(spine.joined(separator: "\n    "))
              </spine>
            </package>

            """
    }

    private var navigation: String {
        let entries = chapters.enumerated().map { index, chapter in
            #"<li><a href="\#(Self.chapterFile(index))">\#(escape(chapter.title))</a></li>"#
        }
        let body = """
            <nav epub:type="toc" id="toc">
              <h1>\(escape(contentsHeading))</h1>
              <ol>
                \(entries.joined(separator: "\n      "))
              </ol>
            </nav>
            """
        return document(title, body: body)
    }

    /// An XHTML content document around `body`.
    private func document(_ title: String, body: String) -> String {
        let css = stylesheet == nil ? "" : #"<link rel="stylesheet" type="text/css" href="edition.css"/>"#
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" \
            lang="\(escape(language))" xml:lang="\(escape(language))">
            <head>
            <meta charset="UTF-8"/>
            <title>\(escape(title))</title>
            \(css)
            </head>
            <body>
            \(body)
            </body>
            </html>

            """
    }

    private func escape(_ text: String) -> String { MarkupEscaping.escape(text) }

    /// `urn:uuid:` from a hash of what identifies the edition (UUID layout, version 8: name-based, custom).
    static func identifier(grant: Int64, course: String) -> String {
        var bytes = Array(SHA256.hash(data: Data("lectern-edition:\(grant):\(course)".utf8)).prefix(16))
        bytes[6] = bytes[6] & 0x0f | 0x80
        bytes[8] = bytes[8] & 0x3f | 0x80
        let hex = Hex.string(bytes)
        let cuts = [8, 12, 16, 20]
        var parts: [Substring] = []
        var start = hex.startIndex
        for cut in cuts + [32] {
            let end = hex.index(hex.startIndex, offsetBy: cut)
            parts.append(hex[start..<end])
            start = end
        }
        return "urn:uuid:" + parts.joined(separator: "-")
    }
}
