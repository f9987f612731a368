import Foundation
import LecternCore

/// The lessons of a buyer's edition as chapters: each lesson's own HTML (a paid lesson's page, between
/// `PaidPage.bodyStart` and `bodyEnd`; a free lesson's `.chapter`) with the buyer's mark, made to stand alone,
/// under the stamp, the module and the title. XHTML: an EPUB reader parses it as XML, and the builder's HTML
/// (cmark-gfm's) is that already but for footnote attributes without a value.
struct EditionChapters {
    let bundle: LiveBundle
    /// `[site] base_url`: where a link to the site points from a file read offline.
    let baseURL: String

    /// The file whose bytes a lesson's chapter comes from, as the build manifest names it (for the edition's key).
    static func source(course: String, lesson: BuildManifest.LessonEntry) -> String {
        lesson.free ? PaidPage.chapterOutput(course: course, lesson: lesson.slug) : "\(course)/\(lesson.slug).page"
    }

    /// Each open lesson's chapter. The mark's parts run on from one chapter into the next (a page of the site
    /// starts again at the first), so an excerpt across a chapter's end still holds consecutive parts.
    func make(_ request: EditionRequest, chunks: [String]) throws -> [EpubPackage.Chapter] {
        let course = request.course.slug
        let standAlone = Self.standAlone(course: course, baseURL: baseURL)
        var carried = 0
        return try request.lessons.enumerated().map { number, lesson in
            let page =
                lesson.free
                ? bundle.chapter(course: course, lesson: lesson.slug) : bundle.page(course: course, lesson: lesson.slug)
            var marks = 0
            guard
                let body = page?.splicedBody(mark: { index in
                    marks += 1
                    return chunks[(carried + index) % chunks.count]
                })
            else { throw EditionShelf.Failure.noEdition }
            carried = (carried + marks) % chunks.count
            let module = lesson.module.map { #"<p class="module">\#(MarkupEscaping.escape($0))</p>"# } ?? ""
            let fragment = """
                <section class="chapter" id="chapter-\(number + 1)">
                <p class="watermark" role="note">\(request.stamp)</p>
                <article class="prose">
                \(module)<h1>\(MarkupEscaping.escape(lesson.title))</h1>
                \(imagesAsLinks(standAlone(body), course: course))
                </article>
                </section>
                """
            return EpubPackage.Chapter(title: lesson.title, fragment: fragment)
        }
    }

    /// A body made for the web, made to stand alone in a file: the course's files it shows come with the edition
    /// (`files/…`), every other site link points at the site (a lesson the edition leaves out, not yet open for
    /// this buyer, is then still a working link), and cmark-gfm's value-less footnote attributes get a value.
    /// The HTML is the builder's own output, attributes in double quotes, so plain replacements are exact.
    static func standAlone(course: String, baseURL: String) -> ByteSearch.Replacer {
        var rules: [(target: String, replacement: String)] = [true, false].map { free in
            ("src=\"\(SiteRoutes.courseFile("", course: course, free: free))", "src=\"files/")
        }
        rules += [("href=\"/", "href=\"\(baseURL)/"), ("src=\"/", "src=\"\(baseURL)/")]
        for attribute in ["data-footnotes", "data-footnote-ref", "data-footnote-backref"] {
            rules += [(" \(attribute)>", " \(attribute)=\"\">"), (" \(attribute) ", " \(attribute)=\"\" ")]
        }
        return ByteSearch.Replacer(rules)
    }

    /// An image an edition cannot carry becomes a link to it, its alt text the link's: one from another site (an
    /// EPUB may not load images from the network, epubcheck's RSC-006, and the PDF's printer resolves no host),
    /// and a course file of a type e-readers need not show (AVIF, BMP…; EPUB's core media types are PNG, JPEG,
    /// GIF, SVG, WebP), linked on the site. cmark-gfm writes `<img src="URL" alt="TEXT" … />`, values escaped;
    /// a tag ends at its first `>` (raw HTML may omit the `/`).
    func imagesAsLinks(_ html: String, course: String) -> String {
        let opening = Array("<img ".utf8)
        let bytes = Array(html.utf8)
        guard ByteSearch.find(opening, in: bytes, from: 0) != nil else { return html }
        var out: [UInt8] = []
        var cursor = 0
        while let start = ByteSearch.find(opening, in: bytes, from: cursor),
            let close = bytes[start...].firstIndex(of: UInt8(ascii: ">"))
        {
            let tag = String(decoding: bytes[start...close], as: UTF8.self)
            let source = Self.attribute("src", in: tag) ?? ""
            let local = source.hasPrefix("files/")
            let type = ContentTypes.type(forExtension: (source as NSString).pathExtension.lowercased())
            guard !local || !EpubPackage.imageTypes.contains(type) else {
                out += bytes[cursor...close]
                cursor = close + 1
                continue
            }
            let target =
                local
                ? baseURL + SiteRoutes.courseFile(String(source.dropFirst(6)), course: course, free: false) : source
            let alt = Self.attribute("alt", in: tag).flatMap { $0.isEmpty ? nil : $0 } ?? target
            out += bytes[cursor..<start]
            out += Array(#"<a href="\#(target)">\#(alt)</a>"#.utf8)
            cursor = close + 1
        }
        out += bytes[cursor...]
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of ` name="…"` in a tag the builder wrote (double quotes, escaped inside), as written.
    static func attribute(_ name: String, in tag: String) -> String? {
        guard let start = tag.range(of: " \(name)=\"") else { return nil }
        return String(tag[start.upperBound...].prefix { $0 != "\"" })
    }
}
