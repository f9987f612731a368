import Foundation
import LecternConfig
import LecternCore

/// Reads `content/` into a `Catalog`: one folder per course, optional module sub-folders, lesson files.
/// Every problem is reported with the file (and line) that causes it.
public struct ContentLoader {
    public var config: SiteConfig
    public var includeDrafts: Bool

    static let courseKeys = PricingSettings.keys.union([
        "title", "summary", "tags", "draft", "buy_url", "products", "date", "weight", "extra",
    ])
    static let moduleKeys: Set<String> = ["title", "weight", "extra"]
    static let lessonKeys: Set<String> = ["title", "free", "draft", "weight", "available_after_days", "date", "extra"]

    public init(config: SiteConfig, includeDrafts: Bool = false) {
        self.config = config
        self.includeDrafts = includeDrafts
    }

    public func load() throws -> Catalog {
        let contentURL = config.url(config.contentDir)
        let entries = try listing(contentURL, display: config.contentDir)
        var courses: [(order: Int, course: Course)] = []
        var drafts: Set<String> = []
        // Products a draft course lists in its front matter: not sold until it is published.
        var draftProducts: Set<String> = []
        for entry in entries {
            let display = "\(config.contentDir)/\(entry.lastPathComponent)"
            if isDirectory(entry) {
                let (order, course) = try loadCourse(at: entry, display: display, drafts: &drafts)
                if includeDrafts || !course.isDraft {
                    courses.append((order, course))
                } else {
                    draftProducts.formUnion(course.productIDs)
                }
            } else if entry.pathExtension == "md" {
                throw LecternError(
                    .content, file: display, "a lesson must live in a course folder",
                    hint: "move it to \(config.contentDir)/<course-slug>/ next to that course's _index.md")
            }
        }
        courses.sort { ($0.order, $0.course.slug) < ($1.order, $1.course.slug) }
        for product in config.products where courses.contains(where: { $0.course.slug == product.id }) {
            throw LecternError(
                .config, file: SiteConfig.fileName, line: product.line,
                "product id `\(product.id)` is also a course slug",
                hint: "a payment naming it would be ambiguous; rename it, e.g. `\(product.id)-bundle`")
        }
        var loaded = courses.map(\.course)
        let products = try attachProducts(to: &loaded, draftProducts: draftProducts)
        return Catalog(
            courses: loaded, products: products,
            bundles: try BundleOffer.all(config: config, products: products, courses: loaded), draftFiles: drafts)
    }

    /// Adds each product's `courses` to those courses' product lists, and checks what a payment relies on:
    /// every product opens at least one course, and a provider id (a Payment Link, a variant) sells one thing.
    /// Returns the products this build sells: one whose courses are all drafts is left out until one is
    /// published (a payment for it is refused, not granted nothing).
    private func attachProducts(to courses: inout [Course], draftProducts: Set<String>) throws -> [ProductSetting] {
        var sold: [ProductSetting] = []
        for product in config.products {
            if product.allCourses {
                for index in courses.indices where !courses[index].productIDs.contains(product.id) {
                    courses[index].productIDs.append(product.id)
                }
            }
            for slug in product.courses {
                guard let index = courses.firstIndex(where: { $0.slug == slug }) else {
                    // A draft course left out of this build is not an error; a typo is.
                    if FileManager.default.fileExists(atPath: config.url(config.contentDir + "/" + slug).path) {
                        continue
                    }
                    throw LecternError(
                        .config, file: SiteConfig.fileName, line: product.coursesLine ?? product.line,
                        "product `\(product.id)` lists `\(slug)`, which is not a course",
                        hint: "courses are the folders of \(config.contentDir)/: "
                            + courses.map(\.slug).joined(separator: ", "))
                }
                if !courses[index].productIDs.contains(product.id) { courses[index].productIDs.append(product.id) }
            }
            if courses.contains(where: { $0.productIDs.contains(product.id) }) {
                sold.append(product)
            } else if product.courses.isEmpty && !product.allCourses && !draftProducts.contains(product.id) {
                throw LecternError(
                    .config, file: SiteConfig.fileName, line: product.line,
                    "product `\(product.id)` opens no course",
                    hint: "list them: `courses = [\"a-course\", \"another\"]` under [products.\(product.id)], "
                        + "or `products: [\(product.id)]` in a course's front matter")
            }
        }
        var seller: [String: String] = [:]
        let sellers =
            courses.map { ($0.slug, $0.pricing.providerIDs, $0.sourcePath, Int?.none) }
            + config.products.map { ($0.id, $0.pricing.providerIDs, SiteConfig.fileName, $0.line) }
        for (name, ids, file, line) in sellers {
            for id in ids {
                if let other = seller[id], other != name {
                    throw LecternError(
                        .config, file: file, line: line,
                        "\(ProviderProductID.describe(id)) sells both `\(other)` and `\(name)`",
                        hint:
                            "one Payment Link, Price or variant sells one product: a payment from it would be ambiguous"
                    )
                }
                seller[id] = name
            }
        }
        return sold
    }

    // MARK: Courses

    private func loadCourse(at directory: URL, display: String, drafts: inout Set<String>) throws -> (Int, Course) {
        let slug = directory.lastPathComponent
        let indexURL = directory.appendingPathComponent("_index.md")
        let indexPath = "\(display)/_index.md"
        guard FileManager.default.fileExists(atPath: indexURL.path) else {
            let firstLesson = try listing(directory, display: display).first { $0.pathExtension == "md" }
            throw LecternError(
                .content, file: firstLesson.map { "\(display)/\($0.lastPathComponent)" } ?? display,
                "this lesson's course folder `\(display)` has no _index.md",
                hint:
                    "create \(indexPath) with `title`, `summary` and `price` in its front matter"
                    + " (or run `lectern new course \(slug)`)"
            )
        }
        guard LessonFileName.isValidSlug(slug) else {
            throw LecternError(
                .content, file: display, "course folder name `\(slug)` is not a valid slug",
                hint:
                    "use lower-case letters, digits, Chinese characters and hyphens, "
                    + "e.g. `swift-for-beginners` or `写作课`"
            )
        }
        let page = try FrontMatter.parse(try TextFile.read(indexURL, displayPath: indexPath), file: indexPath)
        let fm = page.settings
        try fm.rejectUnknownKeys(allowed: Self.courseKeys)
        let title = try fm.requiredString("title", hint: "add `title: Your course name` to the front matter")
        let pricing = try PricingSettings.read(fm, defaultCurrency: config.currency, what: "course `\(slug)`")
        let price = pricing.price
        // A course in yuan on a site with [alipay] or [wechatpay] is sold by lecternd itself: the button goes
        // to the landing page's pay form (unless the course names its own checkout).
        let ownBuyURL = try fm.string("buy_url")
        var checkoutProviders: [PaymentEvent.Provider] = []
        if price.currency == "CNY" && !price.isFree && ownBuyURL == nil {
            if config.alipay != nil { checkoutProviders.append(.alipay) }
            if config.weChatPay != nil { checkoutProviders.append(.wechatpay) }
        }
        let payForm = checkoutProviders.isEmpty ? nil : config.baseURL + SiteRoutes.landing(slug) + "#pay"
        let buyURL = ownBuyURL ?? payForm ?? config.buyURLTemplate?.replacingOccurrences(of: "{course}", with: slug)
        guard let buyURL, !buyURL.isEmpty || price.isFree else {
            throw LecternError(
                .content, file: indexPath, line: 1, "course `\(slug)` has a price but no buy button URL",
                hint:
                    "set `buy_url` in the front matter, or `buy_url = \"https://…/{course}\"`"
                    + " under [build] in lectern.toml"
            )
        }
        let productIDs = try fm.stringList("products")
        for id in productIDs where !config.products.contains(where: { $0.id == id }) {
            throw fm.error(
                "products", "product `\(id)` has no price",
                hint: "declare it in lectern.toml as [products.\(id)] with `price = \"99.00\"`: "
                    + "a product without a price could be bought for any amount")
        }
        var course = Course(
            slug: slug, title: title, summary: try fm.string("summary") ?? "", pricing: pricing,
            tags: try fm.stringList("tags"), isDraft: try fm.bool("draft") ?? false, buyURL: buyURL,
            productIDs: productIDs, checkoutProviders: checkoutProviders,
            date: try date(fm, file: indexURL),
            body: page.body, bodyFirstLine: page.bodyFirstLine, sourcePath: indexPath, directory: directory, lessons: []
        )
        course.lessons = try loadLessons(of: course, display: display, drafts: &drafts)
        let order = try fm.integer("weight") ?? Int.max
        return (order, course)
    }

    // MARK: Lessons

    private func loadLessons(of course: Course, display: String, drafts: inout Set<String>) throws -> [Lesson] {
        // Collect the files first, then parse them on all cores.
        var files: [(url: URL, module: Module?, display: String)] = []
        for entry in try listing(course.directory, display: display) {
            let name = entry.lastPathComponent
            if isDirectory(entry) {
                let moduleIndex = entry.appendingPathComponent("_index.md")
                let moduleDisplay = "\(display)/\(name)"
                let markdown = try listing(entry, display: moduleDisplay).filter {
                    $0.pathExtension == "md" && $0.lastPathComponent != "_index.md"
                }
                guard FileManager.default.fileExists(atPath: moduleIndex.path) else {
                    if let first = markdown.first {
                        throw LecternError(
                            .content, file: "\(moduleDisplay)/\(first.lastPathComponent)",
                            "module folder `\(moduleDisplay)` has no _index.md",
                            hint: "create \(moduleDisplay)/_index.md with a `title` for the module")
                    }
                    continue  // an asset folder such as images/
                }
                let module = try loadModule(index: moduleIndex, folder: name, display: "\(moduleDisplay)/_index.md")
                for file in markdown {
                    files.append((file, module, "\(moduleDisplay)/\(file.lastPathComponent)"))
                }
            } else if entry.pathExtension == "md" && name != "_index.md" {
                files.append((entry, nil, "\(display)/\(name)"))
            }
        }
        var lessons = try ParallelMap.run(files, progress: nil) { file in
            try loadLesson(file.url, course: course, module: file.module, display: file.display)
        }
        for lesson in lessons where lesson.isDraft && !includeDrafts {
            drafts.insert(lesson.fileURL.standardizedFileURL.path)
        }
        lessons = lessons.filter { includeDrafts || !$0.isDraft }
        lessons.sort {
            ($0.module?.order ?? Int.min, $0.order, $0.sourcePath) < (
                $1.module?.order ?? Int.min, $1.order, $1.sourcePath
            )
        }
        var seen: [String: Lesson] = [:]
        for lesson in lessons {
            if let other = seen[lesson.slug] {
                throw LecternError(
                    .content, file: lesson.sourcePath,
                    "duplicate lesson slug `\(lesson.slug)` in course `\(course.slug)` (also \(other.sourcePath))",
                    hint: "each lesson's file name (without its number prefix) must be unique within a course")
            }
            seen[lesson.slug] = lesson
        }
        return lessons
    }

    private func loadModule(index: URL, folder: String, display: String) throws -> Module {
        let page = try FrontMatter.parse(try TextFile.read(index, displayPath: display), file: display)
        try page.settings.rejectUnknownKeys(allowed: Self.moduleKeys)
        let title = try page.settings.requiredString(
            "title", hint: "add `title: Module name` to the module's front matter")
        let order = try page.settings.integer("weight") ?? LessonFileName(folder).order ?? Int.max
        return Module(title: title, order: order, sourcePath: display)
    }

    private func loadLesson(_ file: URL, course: Course, module: Module?, display: String) throws -> Lesson {
        let name = LessonFileName(file.lastPathComponent)
        guard LessonFileName.isValidSlug(name.slug) else {
            throw LecternError(
                .content, file: display, "lesson file name gives the slug `\(name.slug)`, which is not URL-safe",
                hint:
                    "name lesson files like `03-first-steps.md` or `03-入门.md`: "
                    + "lower-case letters, digits, Chinese and hyphens"
            )
        }
        let page = try FrontMatter.parse(try TextFile.read(file, displayPath: display), file: display)
        try PastedMark.check(page.body, firstLine: page.bodyFirstLine, file: display)
        let fm = page.settings
        try fm.rejectUnknownKeys(allowed: Self.lessonKeys)
        let drip = try fm.integer("available_after_days")
        if let drip, !(0...36_500).contains(drip) {
            throw fm.error("available_after_days", "`available_after_days` must be 0–36500 (a hundred years)")
        }
        return Lesson(
            courseSlug: course.slug, slug: name.slug,
            title: try fm.requiredString("title", hint: "add `title: Lesson name` to the front matter"),
            isFree: try fm.bool("free") ?? false, isDraft: try fm.bool("draft") ?? false,
            order: try fm.integer("weight") ?? name.order ?? Int.max, availableAfterDays: drip, module: module,
            date: try date(fm, file: file), body: page.body, bodyFirstLine: page.bodyFirstLine,
            sourcePath: display, fileURL: file)
    }

    /// One lesson read again from its file, in place (the preview server's incremental rebuild).
    func reload(_ lesson: Lesson, in course: Course) throws -> Lesson {
        try loadLesson(lesson.fileURL, course: course, module: lesson.module, display: lesson.sourcePath)
    }

    // MARK: Helpers

    private func date(_ fm: SettingsTable, file: URL) throws -> Date {
        if let text = try fm.string("date") {
            guard let date = Self.day(String(text.prefix(10))) else {
                throw fm.error("date", "`date` must look like 2026-01-31")
            }
            return date
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
        return attributes?[.modificationDate] as? Date ?? Date(timeIntervalSince1970: 0)
    }

    /// "2026-01-31" as midnight UTC (`CalendarDay`).
    public static func day(_ text: String) -> Date? { CalendarDay.start(text) }

    private func listing(_ directory: URL, display: String) throws -> [URL] {
        guard isDirectory(directory) else {
            throw LecternError(
                .content, file: display, "folder not found",
                hint: "courses live in \(config.contentDir)/<course-slug>/; run `lectern new course SLUG`")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    private func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }
}
