import ArgumentParser
import Foundation
import LecternBench
import LecternConfig
import LecternCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measurements behind BENCHMARKS.md.",
        subcommands: [Tokens.self, WebhookParse.self, Trace.self, Incremental.self, Markdown.self])

    struct Tokens: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Token sign and verify operations per second (one core).")
        @Option(help: "Seconds per measurement.") var seconds: Double = 2

        func run() throws {
            let result = try TokenBenchmark.run(seconds: seconds)
            print(
                String(format: "EdDSA JWT sign: %.0f/s, verify: %.0f/s", result.signPerSecond, result.verifyPerSecond))
        }
    }

    struct WebhookParse: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "webhook-parse", abstract: "Stripe checkout events parsed per second (one core).")
        @Option(help: "Seconds per measurement.") var seconds: Double = 2

        func run() throws {
            let rate = try WebhookParseBenchmark.run(seconds: seconds)
            print(String(format: "Stripe checkout event parsed: %.0f/s", rate))
        }
    }

    struct Trace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Leak-tracing experiment on a built site's paid pages.")
        @OptionGroup var site: SiteOptions
        @Option(help: "Number of buyers.") var buyers = 1_000
        @Option(help: "Excerpts per length.") var excerpts = 200
        @Option(help: "Excerpt lengths in words, comma-separated.") var words = "150,50,30,25,20,16"
        @Option(help: "Excerpt lengths in characters (Chinese, Japanese), comma-separated.")
        var characters = "150,100,80,60"
        @Option(help: "Only this course's paid pages (default: every course).") var course: String?
        @Option(help: "Lengths (or `lesson`) of excerpts of cleaned copies (Cf deleted, NFKC, spaces collapsed).")
        var cleaned = ""
        @Option(help: "Unit of the --cleaned lengths: words, or characters (Chinese).") var cleanedUnit = "words"
        @Option(help: "Words in each mix of two buyers' copies (0: no collusion rows).") var mixedWords = 1_000
        @Option(help: "Buyers' pages printed to PDF by Chromium, 10 excerpts of 150 words each (0: no PDF row).")
        var printed = 0
        @Option(help: "Buyers' offline editions (EPUB and PDF) of --course made and read back (0: no edition rows).")
        var editions = 0
        @Option(help: "Excerpt unit for the edition rows: words, or characters (Chinese).")
        var editionUnit = "words"
        @Option(help: "A program printing an EPUB's text (default: read as `lectern trace` does).")
        var epubReader: String?

        func run() async throws {
            let config = try SiteConfig.load(root: site.rootURL)
            let paid = config.url(config.paidDir)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: paid.path)) ?? []
            var pages: [PaidPage] = []
            for name in names.sorted() where course == nil || name == course {
                let dir = paid.appendingPathComponent(name)
                for file in ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
                where file.hasSuffix(".page") {
                    pages.append(
                        try PaidPage.decode(try Data(contentsOf: dir.appendingPathComponent(file)), file: file))
                }
            }
            guard !pages.isEmpty else {
                throw LecternError(.trace, file: paid.path, "no paid pages", hint: "run `lectern build` first")
            }
            let experiment = TraceExperiment(pages: pages, buyers: buyers)
            print("| excerpt | excerpts | traced right | wrong names | no name |")
            print("|---|---|---|---|---|")
            let lengths: [(TraceExperiment.Unit, String)] = [(.words, words), (.characters, characters)]
            for (unit, list) in lengths {
                for length in list.split(separator: ",").compactMap({ Int($0) }) {
                    let o = experiment.run(length: length, unit: unit, excerpts: excerpts)
                    printRow("\(o.length) \(o.unit.rawValue)", o)
                }
            }
            guard let unit = TraceExperiment.Unit(rawValue: cleanedUnit) else {
                throw LecternError(
                    .trace, "--cleaned-unit must be words or characters", hint: "e.g. --cleaned-unit characters")
            }
            // "lesson": each excerpt is a whole lesson.
            for item in cleaned.split(separator: ",") {
                guard let length = item == "lesson" ? Int.max : Int(item) else { continue }
                let o = experiment.runCleaned(length: length, unit: unit, excerpts: excerpts)
                let label = length == Int.max ? "whole lesson" : "\(o.length) \(o.unit.rawValue)"
                printRow("\(label), Cf deleted + NFKC + white space collapsed", o)
            }
            if printed > 0 {
                let stylesheet = try String(
                    contentsOf: config.url(config.publicDir).appendingPathComponent("style.css"), encoding: .utf8)
                let o = try experiment.runPrinted(
                    copies: printed, length: 150, excerptsPerCopy: 10, stylesheet: stylesheet)
                printRow("150 words of a page printed to PDF (\(printed) copies)", o)
            }
            if editions > 0 {
                guard let course, let unit = TraceExperiment.Unit(rawValue: editionUnit) else {
                    throw LecternError(
                        .trace, "--editions needs --course, and --edition-unit words or characters",
                        hint: "e.g. --editions 20 --course practical-sqlite")
                }
                for format in EditionFormat.allCases {
                    let perCopy = max(1, excerpts / editions)
                    let o = try await experiment.runEditions(
                        format, site: config, course: course, copies: editions, excerptsPerCopy: perCopy,
                        length: 150, unit: unit, epubReader: epubReader?.split(separator: " ").map(String.init))
                    printRow(
                        "150 \(unit.rawValue) of the downloaded \(format.rawValue.uppercased()) (\(editions) copies)", o
                    )
                }
            }
            guard mixedWords > 0 else { return }
            let columns = ["two buyers mixed by", "words", "excerpts", "a colluder named", "both named"]
            print("\n| " + (columns + ["innocent named", "no name"]).joined(separator: " | ") + " |")
            print("|---|---|---|---|---|---|---|")
            for mixing in [TraceExperiment.Mixing.paragraphs, .words] {
                let o = experiment.runMixed(mixing, words: mixedWords, excerpts: excerpts)
                let share = String(format: "%.1f", Double(o.named) * 100 / Double(o.excerpts))
                print(
                    "| \(o.mixing.rawValue) | \(o.words) | \(o.excerpts) | \(o.named) (\(share) %) | \(o.both) "
                        + "| \(o.innocent) | \(o.unnamed) |")
            }
        }

        /// One row of the trace table: what was traced, and how often it named the right buyer, a wrong one, nobody.
        private func printRow(_ label: String, _ o: TraceExperiment.Outcome) {
            let share = String(format: "%.1f", Double(o.right) * 100 / Double(o.excerpts))
            print("| \(label) | \(o.excerpts) | \(o.right) (\(share) %) | \(o.wrong) | \(o.unnamed) |")
        }
    }

    struct Incremental: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "lectern serve's rebuild time after a one-lesson edit.")
        @OptionGroup var site: SiteOptions
        @Option(help: "Edits to time.") var rounds = 10

        func run() throws {
            let result = try IncrementalBenchmark.run(root: site.rootURL, rounds: rounds)
            let sorted = result.editSeconds.sorted()
            print(
                String(
                    format:
                        "| %d lessons | preview full build %.2f s |"
                        + " one-lesson edit: median %.1f ms, max %.1f ms (%d page re-rendered, %d edits) |",
                    result.lessons, result.fullBuildSeconds, sorted[sorted.count / 2] * 1000, (sorted.last ?? 0) * 1000,
                    result.renderedPerEdit, sorted.count))
        }
    }

    struct Markdown: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Markdown rendering throughput on one core; writes the concatenated bodies for a cmark-gfm CLI run.")
        @OptionGroup var site: SiteOptions
        @Option(help: "Where to write all lesson bodies as one file.") var concatenated = "/tmp/lectern-bodies.md"

        func run() throws {
            let r = try MarkdownBenchmark.run(
                root: site.rootURL, concatenatedOutput: URL(fileURLWithPath: concatenated))
            let mb = Double(r.bytes) / 1_048_576
            print(
                String(
                    format: "%d files, %.1f MB: per file %.3f s (%.1f MB/s), concatenated %.3f s (%.1f MB/s)",
                    r.files, mb, r.perFileSeconds, mb / r.perFileSeconds, r.concatenatedSeconds,
                    mb / r.concatenatedSeconds))
        }
    }
}
