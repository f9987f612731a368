import Crypto
import Foundation
import LecternTestSupport
import Testing

@testable import LecternBench
@testable import LecternCommerce
@testable import LecternCore

/// A buyer's offline editions from a real lecternd, checked by other people's tools: W3C's epubcheck (Debian's
/// package) on the EPUB, EbookLib (PyPI) taking its text out, poppler's `pdftotext` on the PDF Chromium printed.
/// Each must carry the buyer's stamp and still name them from a short excerpt (150 words; 150 characters of
/// Chinese), never anyone else.
@Suite(.serialized) struct DaemonEditionTests {
    static let epubcheck = "/usr/share/java/epubcheck.jar"

    /// Buys every course (the all-access product) and signs in: the cookie jar, the grant and the daemon's
    /// fingerprint.
    func buyEverything(_ daemon: DaemonHarness) async throws -> (jar: URL, grant: UInt32, tracer: LeakTracer) {
        let reply = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_all", session: "cs_all", paymentIntent: "pi_all", course: "every-course", amount: 5900))
        #expect(reply.json["result"] as? String == "granted")
        let mail = try #require(try await daemon.receivedMail(count: 1).last)
        let jar = daemon.site.root.appendingPathComponent("cookies.txt")
        #expect(try daemon.curl(try daemon.link(in: mail), jar: jar).status == 303)
        let grant = try #require(try daemon.value("SELECT id FROM grants").flatMap { UInt32($0) })
        let secret = try KeyStore(directory: daemon.site.root.appendingPathComponent("keys")).watermarkSecret()
        return (jar, grant, LeakTracer(fingerprint: Fingerprint(secret: secret)))
    }

    func download(_ daemon: DaemonHarness, _ course: String, _ format: EditionFormat, jar: URL) throws -> URL {
        let file = daemon.site.root.appendingPathComponent("\(course).\(format.rawValue)")
        let reply = try daemon.curl(
            SiteRoutes.edition(course, format: format), jar: jar, arguments: ["-o", file.path])
        try #require(reply.status == 200, "\(course).\(format.rawValue): HTTP \(reply.status)")
        #expect(reply.header("Content-Type") == [format.contentType])
        return file
    }

    /// The whole text names `grant`, and so do at least 99 of 100 excerpts of 150 `unit`s of it, none anyone else.
    func expectTraces(
        _ text: String, _ what: String, unit: TraceExperiment.Unit, grant: UInt32, tracer: LeakTracer
    ) {
        guard case .traced(grant, _, _) = tracer.trace(text) else {
            Issue.record("\(what): the whole text does not trace: \(tracer.trace(text))")
            return
        }
        // Both channels came through; cleaned of format characters (and NFKC, white space collapsed) it still
        // names the buyer.
        let reading = InvisibleMarkCodec.read(text)
        #expect(reading.formatChunks > 16 && reading.combiningChunks > 16, "\(what): \(reading)")
        let cleaned = TraceExperiment.cleaned(text)
        guard case .traced(grant, _, _) = tracer.trace(cleaned) else {
            Issue.record("\(what): the cleaned text does not trace: \(tracer.trace(cleaned))")
            return
        }
        var rng = SplitMix64(seed: 15)
        var (right, wrong, missed) = (0, 0, [String]())
        for _ in 0..<100 {
            let excerpt =
                unit == .words
                ? TraceExperiment.wordExcerpt(of: text, words: 150, rng: &rng)
                : TraceExperiment.characterExcerpt(of: text, characters: 150, rng: &rng)
            if case .traced(let named, _, _) = tracer.trace(excerpt) {
                if named == grant { right += 1 } else { wrong += 1 }
            } else if missed.count < 2 {
                missed.append("\(tracer.trace(excerpt)) in «\(excerpt)»")
            }
        }
        #expect(
            right >= 99 && wrong == 0, "\(what), 100 excerpts of 150 \(unit): \(right) right, \(wrong) wrong; \(missed)"
        )
    }

    static let courses = [
        (slug: "practical-sqlite", unit: TraceExperiment.Unit.words),
        (slug: "zhishi-fufei-xiezuo", unit: .characters),
    ]

    @Test func theEPUBPassesEpubcheckAndItsTextTracesFromExcerpts() async throws {
        try #require(
            FileManager.default.fileExists(atPath: Self.epubcheck), "epubcheck is not installed: run scripts/test")
        // An image from another site in a paid lesson: an EPUB may not load it (epubcheck's RSC-006), so the
        // edition links to it instead.
        let daemon = try await DaemonHarness { site in
            let file = "content/practical-sqlite/01-foundations/03-schema-design.md"
            try site.write(file, try site.read(file) + "\n![A remote diagram](https://example.com/diagram.png)\n")
        }
        defer { _ = daemon.stop() }
        let (jar, grant, tracer) = try await buyEverything(daemon)
        for (course, unit) in Self.courses {
            let book = try download(daemon, course, .epub, jar: jar)
            let check = try runProgram("/usr/bin/java", ["-jar", Self.epubcheck, book.path])
            #expect(
                check.status == 0 && check.stdout.contains("0 fatals / 0 errors / 0 warnings"),
                "epubcheck \(course): \(check.stdout.suffix(1_500)) \(check.stderr.suffix(1_500))")
            let extracted = try runProgram(
                "/usr/bin/env",
                ["python3", repoRoot.appendingPathComponent("Tests/peers/epub_text.py").path, book.path])
            try #require(extracted.status == 0, "EbookLib could not read \(course): \(extracted.stderr)")
            let text = extracted.stdout
            #expect(text.contains("ada@example.com"), "the stamp is in the book's text")
            if course == "practical-sqlite" {
                #expect(text.contains("A remote diagram"), "the remote image's alt text, as a link")
            }
            expectTraces(text, "\(course) EPUB", unit: unit, grant: grant, tracer: tracer)
        }
    }

    @Test func thePDFHasTheStampOnEveryPageAndTracesFromExcerpts() async throws {
        guard chromiumIsInstalled() else { return }
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let (jar, grant, tracer) = try await buyEverything(daemon)
        for (course, unit) in Self.courses {
            let pdf = try download(daemon, course, .pdf, jar: jar)
            let info = try runProgram("/usr/bin/pdfinfo", [pdf.path])
            let pages = try #require(
                info.stdout.split(separator: "\n").first { $0.hasPrefix("Pages:") }
                    .flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) })
            #expect(pages >= 3, "\(course): \(pages) pages")
            for page in 1...pages {
                let text = try runProgram("/usr/bin/pdftotext", ["-f", "\(page)", "-l", "\(page)", pdf.path, "-"])
                #expect(text.stdout.contains("ada@example.com"), "\(course), page \(page) carries the stamp")
            }
            let text = try LeakDocument.text(of: try Data(contentsOf: pdf), file: pdf)
            expectTraces(text, "\(course) PDF", unit: unit, grant: grant, tracer: tracer)
        }
    }
}
