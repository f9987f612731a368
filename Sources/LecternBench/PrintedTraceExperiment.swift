import Crypto
import Foundation
import LecternCommerce
import LecternCore

extension TraceExperiment {
    /// Buyers print their paid page to PDF (headless Chromium's print-to-PDF, with the site's stylesheet) and
    /// the PDF is read back as `lectern trace` reads it (`pdftotext -raw`): `copies` random buyers' pages,
    /// `excerptsPerCopy` random excerpts of `length` words from each, every named grant checked.
    public func runPrinted(
        copies: Int, length: Int, excerptsPerCopy: Int, stylesheet: String, chromium: String = "/usr/bin/chromium"
    ) throws -> Outcome {
        var rng = SplitMix64(seed: seed &+ 0x5044_46)
        let fingerprint = Fingerprint(secret: SymmetricKey(size: .bits256))
        let watermarker = Watermarker(fingerprint: fingerprint)
        let tracer = LeakTracer(fingerprint: fingerprint)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lectern-print-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var outcome = Outcome(
            length: length, unit: .words, excerpts: copies * excerptsPerCopy, right: 0, wrong: 0, unnamed: 0)
        for copy in 0..<copies {
            let grant = UInt32(rng.next() % UInt64(buyers)) + 1
            let page = pages[Int(rng.next() % UInt64(pages.count))]
            let html = watermarker.render(page, grant: grant, email: "buyer\(grant)@example.com", order: "o\(grant)")
                .replacingOccurrences(
                    of: "<link rel=\"stylesheet\" href=\"/style.css\">", with: "<style>\(stylesheet)</style>")
            let source = folder.appendingPathComponent("copy-\(copy).html")
            let pdf = folder.appendingPathComponent("copy-\(copy).pdf")
            try html.write(to: source, atomically: false, encoding: .utf8)
            try printToPDF(source, to: pdf, chromium: chromium, profile: folder.appendingPathComponent("profile"))
            let text = try LeakDocument.text(of: try Data(contentsOf: pdf), file: pdf)
            for _ in 0..<excerptsPerCopy {
                switch tracer.trace(Self.wordExcerpt(of: text, words: length, rng: &rng)) {
                case .traced(let named, _, _): if named == grant { outcome.right += 1 } else { outcome.wrong += 1 }
                default: outcome.unnamed += 1
                }
            }
        }
        return outcome
    }

    private func printToPDF(_ source: URL, to pdf: URL, chromium: String, profile: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--user-data-dir=\(profile.path)",
            "--print-to-pdf=\(pdf.path)", source.absoluteString,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: pdf.path) else {
            throw LecternError(
                .trace, file: source.path, "Chromium did not print the page to PDF",
                hint: "install Debian's chromium (apt-get install chromium)")
        }
    }
}
