import Crypto
import Foundation
import LecternCore
import LecternStore

/// Makes and keeps buyers' offline editions: the chapters the gate allows (`EditionRequest`), each with the
/// buyer's stamp and invisible mark, packed as EPUB or printed to PDF. A made file is kept per grant, course and
/// format under `folder` (0600: it names the buyer) and served again until a chapter, the stamp, the stylesheet
/// or the set of open lessons changes; the file it replaces is deleted.
public struct EditionShelf: Sendable {
    public enum Failure: Error, Sendable {
        /// The bundle has no chapters for this course (built by a lectern without editions).
        case noEdition
        /// PDF asked for, and no Chromium on this machine.
        case noPrinter
        /// Too many PDFs being printed.
        case busy
    }

    static let printFolderPrefix = "lectern-print-"
    /// EPUBs made at once (PDFs have the printer's own).
    private let making = EditionSlots(running: 2, waiting: 32)
    let bundle: LiveBundle
    let watermarker: Watermarker
    let folder: URL
    /// `public/edition.css` (the template's `static/edition.css`), read when an edition is made.
    let stylesheet: URL
    public let printer: EditionPrinter?
    /// `[site] base_url`: links to the site from inside an edition point there.
    let baseURL: String

    public init(
        bundle: LiveBundle, watermarker: Watermarker, folder: URL, stylesheet: URL, printer: EditionPrinter?,
        baseURL: String
    ) {
        self.baseURL = baseURL
        self.bundle = bundle
        self.watermarker = watermarker
        self.folder = folder
        self.stylesheet = stylesheet
        self.printer = printer
    }

    /// The edition's bytes, made now or kept from before.
    public func edition(_ request: EditionRequest) async throws -> [UInt8] {
        if request.format == .pdf, printer == nil { throw Failure.noPrinter }
        let manifest = bundle.manifest
        let hashes = Dictionary(manifest.pages.map { ($0.output, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        // Everything the file is made of: the build (its images too), the buyer's stamp, the words and the lessons.
        var key = "\(request.format.rawValue)\n\(request.stamp)\n\(request.language)\n\(request.course.title)\n"
        key += "\(manifest.builtAt.timeIntervalSince1970)\n\(baseURL)\n\(request.wording.contents ?? "")\n"
        for lesson in request.lessons {
            guard let hash = hashes[EditionChapters.source(course: request.course.slug, lesson: lesson)] else {
                throw Failure.noEdition
            }
            key += "\(lesson.slug) \(lesson.title) \(lesson.module ?? "") \(hash)\n"
        }
        let css = FileManager.default.contents(atPath: stylesheet.path).map { [UInt8]($0) }
        key += css.map { Hex.string(SHA256.hash(data: $0)) } ?? "-"
        let prefix = "\(request.grant.id)-\(Hex.string(SHA256.hash(data: Data(request.course.slug.utf8))).prefix(12))-"
        let file = folder.appendingPathComponent(
            prefix + Hex.string(SHA256.hash(data: Data(key.utf8))).prefix(24) + "." + request.format.rawValue)
        if let kept = FileManager.default.contents(atPath: file.path) { return [UInt8](kept) }

        let chunks = watermarker.chunks(grant: UInt32(truncatingIfNeeded: request.grant.id))
        let bytes: [UInt8]
        switch request.format {
        case .epub:
            do {
                bytes = try await making.run {
                    let chapters = try EditionChapters(bundle: bundle, baseURL: baseURL).make(request, chunks: chunks)
                    return try EpubPackage(
                        title: request.course.title, language: request.language,
                        identifier: EpubPackage.identifier(grant: request.grant.id, course: request.course.slug),
                        modified: manifest.builtAt, rights: request.stamp,
                        contentsHeading: request.wording.contents ?? "Contents", chapters: chapters, stylesheet: css,
                        files: files(shownIn: chapters, course: request.course.slug)
                    ).archive()
                }
            } catch is EditionSlots.Busy {
                throw Failure.busy
            }
        case .pdf:
            let chapters = try EditionChapters(bundle: bundle, baseURL: baseURL).make(request, chunks: chunks)
            bytes = try await printed(request, chapters: chapters, stylesheet: css)
        }
        try keep(bytes, at: file, replacing: prefix, format: request.format)
        return bytes
    }

    /// The course files the chapters show (`<img src="files/…">`, as the builder and `EditionChapters` leave them),
    /// read from the paid bundle: regular files inside it only, decoded once (HTML, then percent-encoding).
    private func files(shownIn chapters: [EpubPackage.Chapter], course: String) -> [EpubPackage.File] {
        var seen = Set<String>()
        var files: [EpubPackage.File] = []
        let marker = Array(#"<img src="files/"#.utf8)
        let root = bundle.directory.resolvingSymlinksInPath().path + "/"
        for chapter in chapters {
            let bytes = Array(chapter.fragment.utf8)
            var from = 0
            while let start = ByteSearch.find(marker, in: bytes, from: from) {
                let valueStart = start + marker.count - "files/".utf8.count
                guard let end = bytes[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else { break }
                from = end
                let href = MarkupEscaping.unescape(String(decoding: bytes[valueStart..<end], as: UTF8.self))
                guard seen.insert(href).inserted, let path = RequestPath("/" + href), !path.isFolder else { continue }
                let name = path.segments.joined(separator: "/")
                let file = bundle.directory.appendingPathComponent(course).appendingPathComponent(name)
                let type = ContentTypes.type(forExtension: file.pathExtension.lowercased())
                guard EpubPackage.imageTypes.contains(type), file.resolvingSymlinksInPath().path.hasPrefix(root),
                    FileIdentity.regularFile(file.path) != nil,
                    let data = FileManager.default.contents(atPath: file.path)
                else { continue }
                files.append(EpubPackage.File(href: href, path: name, mediaType: type, bytes: [UInt8](data)))
            }
        }
        return files
    }

    /// The chapters as one HTML document (the stamp once, in an element the print stylesheet repeats on every
    /// page), printed by Chromium in a private temporary folder.
    private func printed(
        _ request: EditionRequest, chapters: [EpubPackage.Chapter], stylesheet: [UInt8]?
    ) async throws -> [UInt8] {
        guard let printer else { throw Failure.noPrinter }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            Self.printFolderPrefix + UUID().uuidString)
        try FileManager.default.createDirectory(
            at: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: work) }
        for file in files(shownIn: chapters, course: request.course.slug) {
            let target = work.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.bytes).write(to: target)
        }
        if let stylesheet { try Data(stylesheet).write(to: work.appendingPathComponent("edition.css")) }
        let language = MarkupEscaping.escape(request.language)
        let html = """
            <!DOCTYPE html>
            <html lang="\(language)">
            <head><meta charset="utf-8"><title>\(MarkupEscaping.escape(request.course.title))</title>
            <link rel="stylesheet" href="edition.css"></head>
            <body>
            <div class="edition-stamp" role="note">\(request.stamp)</div>
            \(chapters.enumerated().map { Self.ownIDs($1.fragment, chapter: $0 + 1) }.joined(separator: "\n"))
            </body>
            </html>

            """
        let page = work.appendingPathComponent("edition.html")
        try Data(html.utf8).write(to: page)
        do {
            return try await printer.print(page, in: work)
        } catch is EditionSlots.Busy {
            throw Failure.busy
        }
    }

    /// A chapter's ids and `#` links prefixed with its number: in the PDF the chapters share one document, and
    /// chapter 3's footnote link must not land on chapter 1's `fn-1`.
    static func ownIDs(_ fragment: String, chapter: Int) -> String {
        ByteSearch.Replacer([(" id=\"", " id=\"c\(chapter)-"), (" href=\"#", " href=\"#c\(chapter)-")])(fragment)
    }

    /// Writes the edition where the next download finds it (0600, whole or not at all), and deletes the one it
    /// replaces for the same grant, course and format.
    private func keep(_ bytes: [UInt8], at file: URL, replacing prefix: String, format: EditionFormat) throws {
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where name.hasPrefix(prefix) && name.hasSuffix("." + format.rawValue) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        let temporary = folder.appendingPathComponent(".\(UUID().uuidString).tmp")
        guard
            FileManager.default.createFile(
                atPath: temporary.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else {
            throw LecternError(
                .output, file: folder.path, "cannot write an edition", hint: "check the folder's owner and free space")
        }
        guard rename(temporary.path, file.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw LecternError(.output, file: file.path, "cannot keep an edition", hint: "check the folder's owner")
        }
    }

    /// Deletes the editions of grants that no longer open anything (`isLive` false) and any older than
    /// `maxAge`: they name their buyer, and are made again on the next download.
    public func sweep(maxAge: TimeInterval, now: Date = Date(), isLive: (Int64) -> Bool) {
        // Print folders a stopped daemon left behind (a print takes seconds; an hour is stale).
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        where name.hasPrefix(Self.printFolderPrefix) {
            let path = temporary.appendingPathComponent(name).path
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
            if now.timeIntervalSince(modified ?? now) > 3_600 { try? FileManager.default.removeItem(atPath: path) }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names {
            let path = folder.appendingPathComponent(name).path
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
            let grant = name.split(separator: "-").first.flatMap { Int64($0) }
            if grant.map(isLive) == false || now.timeIntervalSince(modified ?? now) > maxAge {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}
