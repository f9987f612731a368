import Foundation
import LecternConfig
import LecternCore

/// The one pipeline over a site's content: `lectern.toml` → `content/` → `site-template/` → a renderer →
/// the job list → rendered pages. Three drivers share it, as Zola's build modes do: `lectern build` writes
/// the pages to disk staging (`SiteBuilder`), `lectern serve` keeps them in memory and re-renders what an
/// edit touched (`PreviewSite`), `lectern check` renders in `.check` mode and reads the problems
/// (`SiteChecker`). A new page kind is added here once, so the preview cannot differ from the build.
struct SitePipeline: @unchecked Sendable {
    // @unchecked: TemplateSet and the renderer are immutable once made; drivers mutate their own copy.

    /// A page made from the whole catalog rather than from one source file.
    struct CatalogPage {
        var url: String
        var source: String
        var output: String
        var data: Data
        /// Listed in the feed and the sitemap with this title and summary (a product's landing page).
        var title = ""
        var summary: String?
        /// The feed's date: a bundle's newest course (a build's own time would re-announce it every build).
        var date = Date(timeIntervalSince1970: 0)
    }

    let config: SiteConfig
    private(set) var catalog: Catalog
    let templates: TemplateSet
    private(set) var renderer: PageRenderer
    let purchases: PurchaseBaskets

    init(
        root: URL, includeDrafts: Bool = false, purchases: @escaping PurchaseBaskets,
        mode: PageRenderer.Mode = .build
    ) throws {
        let config = try SiteConfig.load(root: root)
        let catalog = try ContentLoader(config: config, includeDrafts: includeDrafts).load()
        let strings = try SiteStrings.load(
            directory: config.url(config.templateDir), display: config.templateDir, language: config.language)
        let templates = try TemplateSet(
            directory: config.url(config.templateDir), display: config.templateDir, strings: strings)
        self.config = config
        self.catalog = catalog
        // Without the layout there are no product pages: the catalog must not link to them.
        if !templates.has(.bundle) { self.catalog.bundles = [] }
        self.templates = templates
        self.purchases = purchases
        renderer = Self.renderer(config: config, catalog: catalog, templates: templates, purchases: purchases)
        renderer.mode = mode
    }

    /// Every content page: each course's landing page, then its lessons in reading order.
    var jobs: [PageRenderer.Job] {
        catalog.courses.flatMap { course in [.landing(course)] + course.lessons.map { .lesson($0, course) } }
    }

    /// Renders `jobs` on all cores; `each` sees every result as it is made (the builder writes and drops
    /// the bytes there, so a large site is never held in memory whole).
    func render(
        _ jobs: [PageRenderer.Job], progress: (@Sendable (Int, Int) -> Void)? = nil,
        freeWindows: WindowSet = WindowSet(),
        each: @escaping @Sendable (inout PageRenderer.Result) throws -> Void = { _ in }
    ) throws -> [PageRenderer.Result] {
        var renderer = self.renderer
        renderer.freeWindows = freeWindows
        return try ParallelMap.run(jobs, progress: progress) { job in
            var result = try renderer.render(job)
            try each(&result)
            return result
        }
    }

    /// The daemon's notice pages (`GateShell`), for the paid bundle.
    func gateShells() -> [CatalogPage] {
        let contexts = PageContexts(config: config)
        return GateShell.Variant.allCases.map { variant in
            let title = string("title_\(variant.notice)") ?? variant.title
            return CatalogPage(
                url: "", source: "\(config.templateDir)/layouts/gate.mustache", output: variant.fileName,
                data: Data(templates.render(.gate, contexts.gate(variant, title: title)).utf8))
        }
    }

    /// A string of the site's table rendered with `context`, or nil when the table lacks it.
    func string(_ key: String, _ context: [String: Any] = [:]) -> String? {
        guard templates.strings.values[key] != nil else { return nil }
        return templates.renderPartial("t.\(key)", context)
    }

    /// The stamp and dates the daemon puts together per request, in the site's language.
    func wording() -> ReaderWording {
        let english = ReaderWording.english
        let marks: [String: Any] = ["email": GateShell.Slot.email.mark, "order": GateShell.Slot.order.mark]
        let date: [String: Any] = [
            "date": [
                "year": GateShell.Slot.year.mark, "month": GateShell.Slot.month.mark, "day": GateShell.Slot.day.mark,
                "month_name": GateShell.Slot.monthName.mark,
            ]
        ]
        // E-mails are plain text: every value is a slot mark, so Mustache's HTML escaping has nothing to do.
        let email: [String: Any] = [
            "course": ["title": GateShell.Slot.courseTitle.mark], "site": ["title": GateShell.Slot.siteTitle.mark],
            "link": GateShell.Slot.link.mark, "days": GateShell.Slot.days.mark,
            "courses": GateShell.Slot.courses.mark, "library_url": GateShell.Slot.libraryURL.mark,
            "giver": GateShell.Slot.giver.mark, "recipient": GateShell.Slot.recipient.mark,
            "delivery_date": GateShell.Slot.date.mark,
        ]
        return ReaderWording(
            stamp: string("stamp", marks) ?? english.stamp, date: string("date", date) ?? english.date,
            monthNames: (1...12).map { string("month_\($0)") ?? english.monthNames[$0 - 1] },
            emails: Dictionary(
                uniqueKeysWithValues: EmailKind.allCases.map { kind in
                    let fallback = EmailWording.english[kind] ?? EmailWording(subject: "", body: "")
                    return (
                        kind.rawValue,
                        EmailWording(
                            subject: string("email_\(kind.rawValue)_subject", email) ?? fallback.subject,
                            body: string("email_\(kind.rawValue)_body", email) ?? fallback.body)
                    )
                }),
            listSeparator: string("list_separator") ?? english.listSeparator,
            manageSubscription: config.subscriptions.manageURL.map { url in
                string("email_manage_subscription", ["manage_url": url]) ?? "Manage your subscription: \(url)"
            }, contents: string("edition_contents") ?? "Contents")
    }

    /// The pages made from the whole catalog: the home page, the 404 page and the buyer's library.
    func catalogPages() -> [CatalogPage] {
        let contexts = PageContexts(config: config)
        var library: [CatalogPage] = []
        if templates.has(.library) {
            let title = string("title_library") ?? "Your library"
            library.append(
                CatalogPage(
                    url: SiteRoutes.library, source: "\(config.templateDir)/layouts/library.mustache",
                    output: "library/index.html",
                    data: Data(templates.render(.library, contexts.library(title: title)).utf8)))
        }
        var bundles: [CatalogPage] = []
        if templates.has(.bundle) {
            for bundle in catalog.bundles where !bundle.courses.isEmpty {
                bundles.append(
                    CatalogPage(
                        url: bundle.path, source: SiteConfig.fileName,
                        output: SiteRoutes.publicOutput(bundle: bundle.id),
                        data: Data(templates.render(.bundle, contexts.bundle(bundle)).utf8),
                        title: bundle.product.title, summary: bundle.product.summary,
                        date: bundle.courses.map(\.date).max() ?? Date(timeIntervalSince1970: 0)))
            }
        }
        return library + bundles + [
            CatalogPage(
                url: "/", source: "\(config.contentDir)/", output: "index.html",
                data: Data(templates.render(.home, contexts.home(catalog)).utf8)),
            CatalogPage(
                url: "/404.html", source: "\(config.templateDir)/layouts/404.mustache", output: "404.html",
                data: Data(
                    templates.render(.notFound, contexts.notFound(title: string("title_not_found") ?? "Page not found"))
                        .utf8)),
        ]
    }

    /// Replaces a lesson after an edit. When what the other pages show of it changed (`affectsOthers`: its
    /// title, free flag or drip delay appear in syllabi, neighbours and the catalog), the renderer is remade.
    mutating func replace(course: Int, lesson: Int, with new: Lesson, affectsOthers: Bool) {
        catalog.courses[course].lessons[lesson] = new
        guard affectsOthers else { return }
        let mode = renderer.mode
        renderer = Self.renderer(config: config, catalog: catalog, templates: templates, purchases: purchases)
        renderer.mode = mode
    }

    /// The page renderer for a catalog: syllabi rendered once per course, related courses computed.
    private static func renderer(
        config: SiteConfig, catalog: Catalog, templates: TemplateSet, purchases: PurchaseBaskets
    ) -> PageRenderer {
        let contexts = PageContexts(config: config)
        var syllabi: [String: String] = [:]
        for course in catalog.courses { syllabi[course.slug] = contexts.syllabusHTML(course, templates: templates) }
        var renderer = PageRenderer(
            config: config, templates: templates, markdown: MarkdownRenderer(allowRawHTML: config.allowRawHTML),
            links: LinkResolver(catalog: catalog), contexts: contexts, syllabi: syllabi)
        renderer.related = relatedCourses(catalog, config: config, purchases: purchases)
        return renderer
    }

    /// Related courses from public text, tags and co-purchases.
    private static func relatedCourses(
        _ catalog: Catalog, config: SiteConfig, purchases: PurchaseBaskets
    ) -> [String: [Course]] {
        guard catalog.courses.count > 1 else { return [:] }
        let inputs = catalog.courses.map { course in
            RelatedCourses.Input(
                slug: course.slug, tags: course.tags,
                text: ([course.title, course.summary, course.body]
                    + course.lessons.map(\.title) + course.lessons.filter(\.isFree).map(\.body)).joined(separator: "\n")
            )
        }
        let bought = RelatedCourses.coPurchases(purchases(config), courses: catalog.courses)
        return RelatedCourses.compute(inputs, coPurchases: bought).mapValues { $0.compactMap(catalog.course) }
    }
}

extension PageRenderer.Job {
    var course: Course {
        switch self {
        case .landing(let course), .lesson(_, let course): course
        }
    }

    /// A landing page or a free lesson: public, and its words in the search index.
    var isPublic: Bool {
        switch self {
        case .landing: true
        case .lesson(let lesson, _): lesson.isFree
        }
    }

    /// The Markdown the page was made from and its first line (to point at a quote in it).
    var source: (body: String, firstLine: Int) {
        switch self {
        case .landing(let course): (course.body, course.bodyFirstLine)
        case .lesson(let lesson, _): (lesson.body, lesson.bodyFirstLine)
        }
    }
}

extension SearchIndex {
    /// A rendered public page's entry (paid lessons are never indexed).
    mutating func add(_ result: PageRenderer.Result) {
        guard result.isPublic else { return }
        add(url: result.url, title: result.title, course: result.courseTitle, text: result.searchText)
    }
}
