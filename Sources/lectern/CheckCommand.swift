import ArgumentParser
import Foundation
import LecternBuild

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "List broken links and anchors, missing files and alt text, duplicate titles, links to drafts,"
            + " and free pages that quote paid lessons.",
        discussion: "Exits 1 when an error is found (warnings alone exit 0). --format json prints one array for CI.")

    enum Format: String, ExpressibleByArgument { case text, json }

    @OptionGroup var site: SiteOptions
    @Option(help: "text (file:line: lines) or json.") var format: Format = .text
    @Flag(help: "Also what fails a live shop: init's example values, a local or plain-HTTP base_url, mail to files.")
    var production = false

    func run() throws {
        var checker = SiteChecker(root: site.rootURL)
        checker.production = (SiteScaffolder.defaultStarter(), production)
        let problems = checker.run()
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(problems), as: UTF8.self))
        case .text:
            for problem in problems { print(problem) }
            let errors = problems.filter { $0.severity == .error }.count
            print(
                problems.isEmpty ? "No problems found." : "\(errors) error(s), \(problems.count - errors) warning(s).")
        }
        if problems.contains(where: { $0.severity == .error }) { throw ExitCode.failure }
    }
}
