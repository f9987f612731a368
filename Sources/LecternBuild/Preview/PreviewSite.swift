import Foundation
import LecternConfig
import LecternCore

/// The site as `lectern serve` shows it: every page rendered into memory (paid lessons with a visible
/// "preview" stamp and no fingerprint), kept current by `refresh()`, which re-renders only what an edit
/// touched: a lesson's text → that lesson; its title, order or free flag → its course's pages and the
/// catalog; a template, `lectern.toml`, a course file, or a file added or removed → everything.
public final class PreviewSite: @unchecked Sendable {
    // @unchecked: all mutable state is in `state`, touched under its lock; `refresh` is called by one watcher.

    public struct Page: Sendable {
        public var bytes: [UInt8]
        public var contentType: String
    }

    public struct Refresh: Sendable, Equatable {
        /// Pages rendered by this refresh (0: nothing changed).
        public var rendered: Int
        public var full: Bool
        public var seconds: Double
    }

    struct State {
        var pipeline: SitePipeline
        var pages: [String: Page] = [:]
        var assets: [String: URL] = [:]
        var searchTexts: [String: (title: String, course: String, text: String)] = [:]
        var stamps = SourceStamps()
        var generation = 0
        var error: LecternError?
    }

    public static let previewStamp = "Preview — paid lesson as a buyer will see it (their stamp goes here)"

    public let root: URL
    private let purchases: PurchaseBaskets
    private let state: Locked<State>

    /// Whether draft courses and lessons are shown (`lectern serve --drafts`).
    public let includeDrafts: Bool

    public init(root: URL, includeDrafts: Bool = false, purchases: @escaping PurchaseBaskets = { _ in [] }) throws {
        self.root = root
        self.includeDrafts = includeDrafts
        self.purchases = purchases
        state = Locked(try Self.fullBuild(root: root, includeDrafts: includeDrafts, purchases: purchases))
    }

    /// Bumped by every refresh that changed something; the live-reload script waits for it.
    public var generation: Int { state.withLock { $0.generation } }
    /// The content error of the last refresh, shown on every page until it is fixed.
    public var error: LecternError? { state.withLock { $0.error } }

    /// URL paths of every rendered page, sorted (for tests and the startup summary).
    public var pagePaths: [String] { state.withLock { $0.pages.keys.sorted() } }

    /// The page or file at a URL path (`/courses/x/`), or nil.
    public func resource(at path: String) -> Page? {
        let (page, asset, staticRoot) = state.withLock { state in
            (
                state.pages[path] ?? state.pages[path + "/"], state.assets[path],
                state.pipeline.config.url(state.pipeline.config.templateDir).appendingPathComponent("static")
            )
        }
        if let page { return page }
        let file = asset ?? RequestPath(path).map { $0.file(in: staticRoot) }
        guard let file, let data = FileManager.default.contents(atPath: file.path) else { return nil }
        return Page(bytes: [UInt8](data), contentType: ContentTypes.type(forExtension: file.pathExtension))
    }

    /// Looks for edits and re-renders what they touch. A content error keeps the last good pages and
    /// is reported through `error`.
    @discardableResult
    public func refresh() -> Refresh {
        let started = Date()
        let current = state.withLock { $0 }
        let stamps = SourceStamps.scan(current.pipeline.config)
        let (edited, structural) = stamps.changes(since: current.stamps)
        guard structural || !edited.isEmpty else { return Refresh(rendered: 0, full: false, seconds: 0) }
        do {
            var next = current
            var rendered = 0
            var full = structural
            let lessonFiles = Dictionary(
                current.pipeline.catalog.courses.flatMap { course in
                    course.lessons.map { ($0.fileURL.path, course.slug) }
                },
                uniquingKeysWith: { a, _ in a })
            if edited.contains(where: { lessonFiles[$0] == nil }) { full = true }
            if !full {
                do { rendered = try Self.update(&next, editedLessons: edited) } catch is RestartNeeded { full = true }
            }
            if full {
                next = try Self.fullBuild(root: root, includeDrafts: includeDrafts, purchases: purchases)
                rendered = next.pages.count
            }
            next.stamps = stamps
            next.generation = current.generation + 1
            next.error = nil
            let done = next
            state.withLock { $0 = done }
            return Refresh(rendered: rendered, full: full, seconds: Date().timeIntervalSince(started))
        } catch {
            let problem = error as? LecternError ?? LecternError(.content, "\(error)")
            state.withLock { state in
                state.stamps = stamps
                state.error = problem
                state.generation += 1
            }
            return Refresh(rendered: 0, full: false, seconds: Date().timeIntervalSince(started))
        }
    }

    // MARK: Building

    static func fullBuild(root: URL, includeDrafts: Bool, purchases: @escaping PurchaseBaskets) throws -> State {
        var state = State(pipeline: try SitePipeline(root: root, includeDrafts: includeDrafts, purchases: purchases))
        state.stamps = SourceStamps.scan(state.pipeline.config)
        let jobs = state.pipeline.jobs
        for (job, result) in zip(jobs, try state.pipeline.render(jobs)) { try store(result, of: job, in: &state) }
        renderCatalogPages(&state)
        return state
    }

    /// Re-renders the edited lessons, or their whole course when what a syllabus shows changed.
    static func update(_ state: inout State, editedLessons: [String]) throws -> Int {
        let loader = ContentLoader(config: state.pipeline.config)
        var jobs: [PageRenderer.Job] = []
        var rebuildCatalog = false
        for path in editedLessons {
            let courses = state.pipeline.catalog.courses
            guard let c = courses.firstIndex(where: { $0.lessons.contains { $0.fileURL.path == path } }),
                let l = courses[c].lessons.firstIndex(where: { $0.fileURL.path == path })
            else { continue }
            let old = courses[c].lessons[l]
            let new = try loader.reload(old, in: courses[c])
            if new.isDraft != old.isDraft || new.order != old.order { throw RestartNeeded() }
            let affectsOthers =
                new.title != old.title || new.isFree != old.isFree || new.availableAfterDays != old.availableAfterDays
            // Titles and free flags show in every page of the course (syllabus, neighbours) and the catalog.
            state.pipeline.replace(course: c, lesson: l, with: new, affectsOthers: affectsOthers)
            rebuildCatalog = rebuildCatalog || affectsOthers
            if !affectsOthers { jobs.append(.lesson(new, state.pipeline.catalog.courses[c])) }
        }
        if rebuildCatalog { jobs = state.pipeline.jobs }
        let results = try state.pipeline.render(jobs)
        for (job, result) in zip(jobs, results) { try store(result, of: job, in: &state) }
        if rebuildCatalog {
            renderCatalogPages(&state)
        } else if results.contains(where: \.isPublic) {
            renderSearchIndex(&state)  // paid lessons are not indexed: their edits leave it alone
        }
        return jobs.count + (rebuildCatalog ? 2 : 0)
    }

    /// A change the incremental path does not model (order or draft flags): the caller rebuilds fully.
    struct RestartNeeded: Error {}

    private static func store(_ result: PageRenderer.Result, of job: PageRenderer.Job, in state: inout State) throws {
        var bytes = [UInt8](result.data)
        if !result.isPublic {
            let page = try PaidPage.decode(result.data, file: result.source)
            bytes = Array(page.splice(stamp: MarkupEscaping.escape(previewStamp), mark: { _ in nil }).utf8)
        } else {
            state.searchTexts[result.url] = (result.title, result.courseTitle, result.searchText)
        }
        state.pages[result.url] = Page(bytes: bytes, contentType: "text/html; charset=utf-8")
        for file in result.assetFiles(course: job.course.slug) { state.assets[file.url] = file.source }
    }

    private static func renderCatalogPages(_ state: inout State) {
        for page in state.pipeline.catalogPages() {
            state.pages[page.url] = Page(bytes: [UInt8](page.data), contentType: "text/html; charset=utf-8")
        }
        renderSearchIndex(&state)
    }

    private static func renderSearchIndex(_ state: inout State) {
        var index = SearchIndex()
        for (url, entry) in state.searchTexts.sorted(by: { $0.key < $1.key }) {
            index.add(url: url, title: entry.title, course: entry.course, text: entry.text)
        }
        state.pages["/" + SearchIndex.fileName] = Page(
            bytes: [UInt8]((try? index.encoded()) ?? Data("[]".utf8)), contentType: "application/json")
    }
}
