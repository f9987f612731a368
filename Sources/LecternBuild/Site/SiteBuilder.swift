import Foundation
import LecternConfig
import LecternCore

/// The build pipeline: config → content → templates → render (in parallel) → write to staging →
/// swap in. Public pages go to `public/`, paid lessons only to the paid bundle.
public struct SiteBuilder {
    public struct Options: Sendable {
        public var root: URL
        /// Folder that `public_dir` and `paid_dir` are resolved against (default: the site root).
        public var outputBase: URL?
        public var includeDrafts = false
        /// What buyers bought together, for related courses; the builder never opens the daemon's database.
        public var purchases: PurchaseBaskets

        public init(
            root: URL, outputBase: URL? = nil, includeDrafts: Bool = false,
            purchases: @escaping PurchaseBaskets = { _ in [] }
        ) {
            self.root = root
            self.outputBase = outputBase
            self.includeDrafts = includeDrafts
            self.purchases = purchases
        }
    }

    public struct Report: Sendable {
        public var courses: Int
        public var publicPages: Int
        public var paidPages: Int
        public var publicDir: URL
        public var paidDir: URL
        public var seconds: Double
        /// One line per course ("practical-sqlite: 7 lessons (2 free, 5 paid), 1 asset"), for `--verbose`.
        public var courseLines: [String] = []
    }

    public var options: Options
    /// Called with (done, total) while rendering; the CLI draws a progress line from it.
    public var progress: (@Sendable (Int, Int) -> Void)?

    public init(options: Options, progress: (@Sendable (Int, Int) -> Void)? = nil) {
        self.options = options
        self.progress = progress
    }

    public func build() throws -> Report {
        let started = Date()
        let pipeline = try SitePipeline(
            root: options.root, includeDrafts: options.includeDrafts, purchases: options.purchases)
        let config = pipeline.config
        let catalog = pipeline.catalog
        let jobs = pipeline.jobs
        let base = options.outputBase ?? config.root
        func outputURL(_ dir: String) -> URL {
            dir.hasPrefix("/") ? URL(fileURLWithPath: dir) : base.appendingPathComponent(dir)
        }
        let staging = try OutputStaging(publicDir: outputURL(config.publicDir), paidDir: outputURL(config.paidDir))
        // Each worker writes its own page (file creation is a good part of a build's time) and drops
        // the bytes, so a large site is never held in memory whole. Free pages first: the paid lessons are
        // then checked, as they render, for runs of words a free page shares (`PublicationRules`).
        let order = jobs.indices.filter { jobs[$0].isPublic } + jobs.indices.filter { !jobs[$0].isPublic }
        let freeCount = order.count { jobs[$0].isPublic }
        let write: @Sendable (inout PageRenderer.Result) throws -> Void = { result in
            try staging.write(result.data, to: result.outputPath, in: result.isPublic ? .publicSite : .paidBundle)
            result.data = Data()
            if let chapter = result.chapter {
                // Kept for the manifest as its hash only: the daemon remakes an edition when a chapter changed.
                try staging.write(chapter, to: result.chapterOutput, in: .paidBundle)
                result.chapterSHA256 = BuildManifest.hash(chapter)
                result.chapter = Data()
            }
            if !result.isPublic { (result.plainText, result.proseText) = ("", "") }
        }
        let total = jobs.count
        let report = progress
        let free = try pipeline.render(
            order.prefix(freeCount).map { jobs[$0] }, progress: { done, _ in report?(done, total) }, each: write)
        let freeWindows = WindowSet(free.flatMap { LeakLint.windowHashes($0.proseText) })
        let paid = try pipeline.render(
            order.dropFirst(freeCount).map { jobs[$0] }, progress: { done, _ in report?(freeCount + done, total) },
            freeWindows: freeWindows, each: write)
        var slots = [PageRenderer.Result?](repeating: nil, count: jobs.count)
        for (index, result) in zip(order, free + paid) { slots[index] = result }
        let results = slots.compactMap { $0 }
        // Nothing is committed yet: a refusal leaves the published site as it was.
        try PublicationRules.verify(results, jobs: jobs)
        var manifest = BuildManifest(
            builtAt: started, pages: [], courses: catalog.courses.map(BuildManifest.entry),
            products: catalog.products.map(BuildManifest.entry), wording: pipeline.wording(),
            language: config.language)

        func record(
            _ url: String, _ kind: BuildManifest.Page.Kind, _ source: String, _ output: String, _ data: Data
        ) throws {
            try staging.write(data, to: output, in: kind == .public ? .publicSite : .paidBundle)
            manifest.pages.append(
                .init(url: url, kind: kind, source: source, output: output, sha256: BuildManifest.hash(data)))
        }

        var feedEntries: [FeedWriter.Entry] = []
        for page in pipeline.catalogPages() {
            try record(page.url, .public, page.source, page.output, page.data)
            if let summary = page.summary {
                feedEntries.append(.init(title: page.title, path: page.url, summary: summary, date: page.date))
            }
        }

        var publicAssets = Set<String>()
        var paidAssets = Set<String>()
        var search = SearchIndex()
        for (job, result) in zip(jobs, results) {
            let kind: BuildManifest.Page.Kind = result.isPublic ? .public : .paid
            manifest.pages.append(
                .init(
                    url: result.url, kind: kind, source: result.source, output: result.outputPath, sha256: result.sha256
                ))
            if let hash = result.chapterSHA256 {
                manifest.pages.append(
                    .init(
                        url: result.url, kind: .chapter, source: result.source, output: result.chapterOutput,
                        sha256: hash))
            }
            search.add(result)
            if result.isPublic {
                feedEntries.append(
                    .init(title: result.title, path: result.url, summary: result.feedSummary, date: result.date))
            }
            for file in result.assetFiles(course: job.course.slug) {
                if result.isPublic, publicAssets.insert(file.key).inserted {
                    try staging.copy(file.source, to: file.output, in: .publicSite)
                }
                // A free lesson's image goes in the buyer's edition too, which is made from the paid bundle (checked
                // on its own: the course's landing page may have claimed the public copy already).
                if !result.isPublic || result.chapter != nil, paidAssets.insert(file.key).inserted {
                    try staging.copy(file.source, to: file.paidOutput, in: .paidBundle)
                }
            }
        }

        let staticFolder = config.url(config.templateDir).appendingPathComponent("static")
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: staticFolder.path)) ?? []).sorted()
        where !name.hasPrefix(".") {
            try staging.copy(staticFolder.appendingPathComponent(name), to: name, in: .publicSite)
        }

        let feeds = FeedWriter(config: config)
        let listed =
            [FeedWriter.Entry(title: config.title, path: "/", summary: config.description, date: started)] + feedEntries
        try staging.write(feeds.sitemap(listed), to: "sitemap.xml", in: .publicSite)
        try staging.write(
            feeds.atom(feedEntries, updated: feedEntries.map(\.date).max() ?? started), to: "feed.xml", in: .publicSite)
        try staging.write(try search.encoded(), to: SearchIndex.fileName, in: .publicSite)
        for shell in pipeline.gateShells() { try staging.write(shell.data, to: shell.output, in: .paidBundle) }
        try staging.write(try manifest.encoded(), to: BuildManifest.fileName, in: .paidBundle)

        try staging.commit()
        return Report(
            courses: catalog.courses.count,
            publicPages: manifest.pages.filter { $0.kind == .public }.count,
            paidPages: manifest.pages.filter { $0.kind == .paid }.count,
            publicDir: staging.publicFinal, paidDir: staging.paidFinal,
            seconds: Date().timeIntervalSince(started),
            courseLines: catalog.courses.map { course in
                let free = course.lessons.filter(\.isFree).count
                return
                    "\(course.slug): \(course.lessons.count) lessons"
                    + " (\(free) free, \(course.lessons.count - free) paid), "
                    + "\(publicAssets.filter { $0.hasPrefix(course.slug + "/") }.count) public and "
                    + "\(paidAssets.filter { $0.hasPrefix(course.slug + "/") }.count)"
                    + " paid asset(s) · \(course.landingPath)"
            })
    }
}
