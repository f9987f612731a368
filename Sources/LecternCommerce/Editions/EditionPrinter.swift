import Foundation
import LecternCore

/// Prints a buyer's edition to PDF with headless Chromium (`--print-to-pdf`): the same engine that shows the
/// lessons, so the PDF looks like the page printed, keeps the invisible mark (`pdftotext -raw` reads it back)
/// and shapes Chinese text with the system's fonts. One print at a time: a browser is a few hundred MB.
public struct EditionPrinter: Sendable {
    public let chromium: String
    /// A print that takes longer is ended (its whole process group) and the request fails.
    public var timeout: Duration = .seconds(90)
    private let slots = EditionSlots(running: 1, waiting: 8)

    public init(chromium: String) { self.chromium = chromium }

    /// The browser named by `LECTERN_CHROMIUM`, else the first of Debian's and Google's names on `PATH`.
    public static func find(environment: [String: String]) -> EditionPrinter? {
        if let named = environment["LECTERN_CHROMIUM"], !named.isEmpty {
            return FileManager.default.isExecutableFile(atPath: named) ? EditionPrinter(chromium: named) : nil
        }
        let folders = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return EditionPrinter(chromium: "\(folder)/\(name)")
            }
        }
        return nil
    }

    /// Prints `html` (a document in `folder`, with its stylesheet and images beside it) to a PDF's bytes.
    /// Waits for the print before it; throws `EditionSlots.Busy` when too many are waiting.
    func print(_ html: URL, in folder: URL) async throws -> [UInt8] {
        try await slots.run { try await render(html, in: folder) }
    }

    private func render(_ html: URL, in folder: URL) async throws -> [UInt8] {
        let output = folder.appendingPathComponent("edition.pdf")
        let arguments = [
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--mute-audio", "--hide-scrollbars",
            "--no-pdf-header-footer", "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
            "--print-to-pdf=\(output.path)",
            // Its own sandbox cannot start under lecternd's systemd unit (no new privileges, no namespaces) nor
            // as root; the unit confines the whole service instead. The page is the creator's lessons and the
            // buyer's escaped stamp, and nothing is fetched: every host name resolves to nothing, so the
            // document's files (beside it) are all it can load.
            "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND",
            html.absoluteString,
        ]
        let (limit, path, argv) = (timeout, chromium, arguments)
        let result = try await withThrowingTaskGroup(of: ChildProcess.Result?.self) { group in
            group.addTask { try await ChildProcess.run(path, argv, input: "", newProcessGroup: true) }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let result else {
            throw LecternError(.output, "Chromium did not print the edition in \(limit)", hint: "see `\(path)`")
        }
        guard result.status == 0, let pdf = FileManager.default.contents(atPath: output.path),
            pdf.starts(with: Array("%PDF".utf8))
        else {
            throw LecternError(
                .output, "Chromium could not print the edition (exit \(result.status))",
                hint: String(result.standardError.suffix(300)))
        }
        return [UInt8](pdf)
    }
}
