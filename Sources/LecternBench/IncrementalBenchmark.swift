import Foundation
import LecternBuild
import LecternConfig
import LecternCore

/// `lectern bench incremental`: the preview server's rebuild after a one-lesson edit. Loads the site
/// into a `PreviewSite` (the full build), then edits one paid lesson's text `rounds` times (appending a
/// paragraph), timing each `refresh()` (change scan + re-render), and restores the file.
public enum IncrementalBenchmark {
    public struct Result: Sendable {
        public var lessons: Int
        public var fullBuildSeconds: Double
        public var editSeconds: [Double]
        public var renderedPerEdit: Int
    }

    public static func run(root: URL, rounds: Int = 10) throws -> Result {
        let started = Date()
        let site = try PreviewSite(root: root)
        let fullBuild = Date().timeIntervalSince(started)
        let config = try SiteConfig.load(root: root)
        let catalog = try ContentLoader(config: config).load()
        let lessons = catalog.courses.flatMap(\.lessons)
        guard let lesson = lessons.first(where: { !$0.isFree }) ?? lessons.first else {
            throw LecternError(
                .content, file: config.contentDir, "no lessons to edit",
                hint: "generate a corpus with Benchmarks/corpus.py")
        }
        let original = try Data(contentsOf: lesson.fileURL)
        defer { try? original.write(to: lesson.fileURL) }
        var times: [Double] = []
        var rendered = 0
        for round in 0..<rounds {
            var edited = original
            edited.append(contentsOf: Array("\nAn edited paragraph, round \(round).\n".utf8))
            try edited.write(to: lesson.fileURL)
            let refresh = site.refresh()
            guard site.error == nil, refresh.rendered > 0 else {
                throw LecternError(
                    .content, file: lesson.sourcePath,
                    "the edit was not picked up (\(site.error?.description ?? "no change seen"))")
            }
            times.append(refresh.seconds)
            rendered = refresh.rendered
        }
        return Result(
            lessons: lessons.count, fullBuildSeconds: fullBuild, editSeconds: times, renderedPerEdit: rendered)
    }
}
