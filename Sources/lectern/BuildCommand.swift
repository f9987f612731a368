import ArgumentParser
import Foundation
import LecternBuild
import LecternConfig
import LecternStore

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Render content/ into public/ (free pages) and the paid bundle.")

    @OptionGroup var site: SiteOptions

    @Option(name: .long, help: "Folder to write public/ and paid/ into (default: the site folder).")
    var out: String?

    @Flag(name: .long, help: "Include lessons and courses marked `draft: true`.")
    var drafts = false

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .long, help: "Also list each course with its lesson counts and where its pages went.")
    var verbose = false

    func run() throws {
        let progress = ProgressLine(enabled: !quiet)
        let options = SiteBuilder.Options(
            root: site.rootURL, outputBase: out.map { URL(fileURLWithPath: $0).standardizedFileURL },
            includeDrafts: drafts, purchases: { PaidPurchases.baskets(databasePath: $0.databaseLocation) })
        let report = try SiteBuilder(options: options, progress: progress.update).build()
        progress.finish()
        if verbose && !quiet {
            for line in report.courseLines { print(line) }
        }
        if !quiet {
            print(
                String(
                    format: "Built %d course(s): %d public pages → %@, %d paid pages → %@ in %.2f s",
                    report.courses, report.publicPages, report.publicDir.path, report.paidPages,
                    report.paidDir.path, report.seconds))
        }
    }
}

/// A single self-overwriting line on a terminal, shown only once a build has run for a second.
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let started = Date()
    private let lock = NSLock()
    private var shown = false
    private var lastPercent = -1

    init(enabled: Bool) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    var update: @Sendable (Int, Int) -> Void {
        { [self] done, total in self.draw(done, total) }
    }

    private func draw(_ done: Int, _ total: Int) {
        guard enabled, total > 0, Date().timeIntervalSince(started) > 1 else { return }
        let percent = done * 100 / total
        lock.lock()
        defer { lock.unlock() }
        guard percent != lastPercent else { return }
        lastPercent = percent
        shown = true
        FileHandle.standardError.write(Data("\rRendering \(done)/\(total) pages (\(percent)%)".utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
