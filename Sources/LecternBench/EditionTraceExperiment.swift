import Crypto
import Foundation
import LecternCommerce
import LecternConfig
import LecternCore
import LecternStore

extension TraceExperiment {
    /// Buyers download their offline edition of `course` (made by the daemon's `EditionShelf`, from the built
    /// paid bundle) and its text is taken out: an EPUB by `epubReader` (a program printing the book's text, e.g.
    /// `Tests/peers/epub_text.py`, EbookLib), else as `lectern trace` reads it; a PDF by `pdftotext -raw`.
    /// `copies` random buyers, `excerptsPerCopy` random excerpts of `length` from each, every named grant checked.
    public func runEditions(
        _ format: EditionFormat, site: SiteConfig, course: String, copies: Int, excerptsPerCopy: Int, length: Int,
        unit: Unit, epubReader: [String]? = nil
    ) async throws -> Outcome {
        var rng = SplitMix64(seed: seed &+ (format == .epub ? 0x4550_5542 : 0x5044_4645))
        let fingerprint = Fingerprint(secret: SymmetricKey(size: .bits256))
        let tracer = LeakTracer(fingerprint: fingerprint)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lectern-editions-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundle = try LiveBundle(directory: site.url(site.paidDir))
        let manifest = bundle.manifest
        guard let entry = manifest.courses.first(where: { $0.slug == course }) else {
            throw LecternError(.trace, "no course `\(course)` in the built site", hint: "pass --course SLUG")
        }
        let printer = format == .pdf ? EditionPrinter.find(environment: ProcessInfo.processInfo.environment) : nil
        if format == .pdf, printer == nil {
            throw LecternError(.trace, "no Chromium to print PDFs", hint: "install Debian's chromium")
        }
        let shelf = EditionShelf(
            bundle: bundle, watermarker: Watermarker(fingerprint: fingerprint), folder: folder,
            stylesheet: site.url(site.publicDir).appendingPathComponent("edition.css"), printer: printer,
            baseURL: site.baseURL)
        var outcome = Outcome(
            length: length, unit: unit, excerpts: copies * excerptsPerCopy, right: 0, wrong: 0, unnamed: 0)
        for _ in 0..<copies {
            let grant = UInt32(rng.next() % UInt64(buyers)) + 1
            let record = GrantRecord(
                id: Int64(grant), buyerID: Int64(grant), product: course, email: "buyer\(grant)@example.com",
                order: "o\(grant)", startsAt: Date(timeIntervalSince1970: 0))
            // Every lesson: the buyer bought long ago, so nothing is still closed by its drip delay.
            let request = EditionRequest(
                format: format, course: entry, grant: record, lessons: entry.lessons,
                wording: manifest.wording ?? .english, language: manifest.language)
            let file = folder.appendingPathComponent("copy-\(grant).\(format.rawValue)")
            try Data(try await shelf.edition(request)).write(to: file)
            let text = try editionText(file, format: format, epubReader: epubReader)
            for _ in 0..<excerptsPerCopy {
                let excerpt =
                    unit == .words
                    ? Self.wordExcerpt(of: text, words: length, rng: &rng)
                    : Self.characterExcerpt(of: text, characters: length, rng: &rng)
                switch tracer.trace(excerpt) {
                case .traced(let named, _, _): if named == grant { outcome.right += 1 } else { outcome.wrong += 1 }
                default: outcome.unnamed += 1
                }
            }
        }
        return outcome
    }

    private func editionText(_ file: URL, format: EditionFormat, epubReader: [String]?) throws -> String {
        guard format == .epub, let epubReader, let program = epubReader.first else {
            return try LeakDocument.text(of: try Data(contentsOf: file), file: file)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(epubReader.dropFirst()) + [file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LecternError(
                .trace, file: file.path, "\(epubReader.joined(separator: " ")) could not read the EPUB",
                hint: "pip install ebooklib")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
