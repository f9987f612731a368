import Foundation
import LecternBuild
import LecternConfig

/// `lectern bench markdown`: Lectern's Markdown rendering (cmark-gfm + link hook, heading ids,
/// highlighting) on one core, over every lesson of a site, against the same bodies concatenated into
/// one file for the `cmark-gfm` command-line tool (the comparison runs the CLI on that file).
public enum MarkdownBenchmark {
    public struct Result: Sendable {
        public var files: Int
        public var bytes: Int
        /// Lectern over the files one by one (its real workload).
        public var perFileSeconds: Double
        /// Lectern over the concatenated document (the CLI's workload).
        public var concatenatedSeconds: Double
    }

    /// Writes the concatenated bodies to `concatenatedOutput` for the CLI run.
    public static func run(root: URL, concatenatedOutput: URL, rounds: Int = 3) throws -> Result {
        let config = try SiteConfig.load(root: root)
        let bodies = try ContentLoader(config: config).load().courses.flatMap { $0.lessons.map(\.body) }
        let joined = bodies.joined(separator: "\n\n")
        try Data(joined.utf8).write(to: concatenatedOutput)
        let renderer = MarkdownRenderer(allowRawHTML: config.allowRawHTML)
        func best(_ work: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<rounds {
                let start = Date()
                try work()
                times.append(Date().timeIntervalSince(start))
            }
            return times.min() ?? 0
        }
        // As a build renders a paid lesson: HTML, heading ids, highlighting, every link through the hook.
        let perFile = try best {
            for body in bodies { _ = try renderer.render(body, collectText: false) { url, _, _ in url } }
        }
        let whole = try best { _ = try renderer.render(joined, collectText: false) { url, _, _ in url } }
        return Result(
            files: bodies.count, bytes: joined.utf8.count, perFileSeconds: perFile, concatenatedSeconds: whole)
    }
}
