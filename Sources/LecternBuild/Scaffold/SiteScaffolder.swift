import Foundation
import LecternConfig
import LecternCore

/// Creates new sites, courses and lessons from the command line, so a creator never has to remember
/// the front-matter keys or the numbering scheme.
public struct SiteScaffolder {
    public var root: URL

    public init(root: URL) { self.root = root }

    /// Where `lectern init` copies the starter site from: `LECTERN_STARTER`, else the Lectern checkout
    /// this binary was built from (its `lectern.toml`, `site-template/` and `content/`).
    public static func defaultStarter() -> URL {
        if let env = ProcessInfo.processInfo.environment["LECTERN_STARTER"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        // Sources/LecternKit/Scaffold/SiteScaffolder.swift → the package root.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `lectern init DIR`: a new site with config, the default template and the sample course; with a
    /// `language` (`zh-CN`), its readers' words from `site-template/strings/<language>.toml` (and, for
    /// Chinese, prices of new courses in CNY).
    public func initSite(from starter: URL = SiteScaffolder.defaultStarter(), language: String? = nil) throws {
        let fm = FileManager.default
        if let language {
            // The tag is written into lectern.toml: only a tag the template has strings for gets there.
            let strings = starter.appendingPathComponent("site-template/\(SiteStrings.folder)/\(language).toml")
            guard language.count <= 35,
                language.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
                fm.fileExists(atPath: strings.path)
            else {
                let known = ((try? fm.contentsOfDirectory(atPath: strings.deletingLastPathComponent().path)) ?? [])
                    .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
                throw LecternError(
                    .scaffold, "no strings for language `\(language)`",
                    hint: "languages: \(known.joined(separator: ", ")); or copy strings/en.toml and translate it")
            }
        }
        let items = [SiteConfig.fileName, "site-template", "content"]
        for item in items where !fm.fileExists(atPath: starter.appendingPathComponent(item).path) {
            throw LecternError(
                .scaffold, file: starter.appendingPathComponent(item).path, "starter site is incomplete",
                hint: "set LECTERN_STARTER to a folder holding lectern.toml, site-template/ and content/")
        }
        if fm.fileExists(atPath: root.appendingPathComponent(SiteConfig.fileName).path) {
            throw LecternError(
                .scaffold, file: root.appendingPathComponent(SiteConfig.fileName).path,
                "a site already exists here", hint: "choose an empty folder: `lectern init my-site`")
        }
        do {
            try fm.createDirectory(at: root, withIntermediateDirectories: true)
            for item in items {
                try fm.copyItem(at: starter.appendingPathComponent(item), to: root.appendingPathComponent(item))
            }
            try "public/\npaid/\nkeys/\nlectern.sqlite*\n".write(
                to: root.appendingPathComponent(".gitignore"), atomically: true, encoding: .utf8)
            if let language { try setLanguage(language) }
        } catch {
            throw LecternError(.scaffold, file: root.path, "cannot create the site (\(error.localizedDescription))")
        }
    }

    /// Rewrites the `language` line of the new site's lectern.toml (and `currency` for Chinese).
    private func setLanguage(_ language: String) throws {
        let file = root.appendingPathComponent(SiteConfig.fileName)
        let lines = try String(contentsOf: file, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        let chinese = language == "zh" || language.hasPrefix("zh-")
        // Only the site's own keys, before the first table: a product's `currency` stays as its prices are.
        var inTable = false
        let text = lines.map { line -> String in
            if line.hasPrefix("[") { inTable = true }
            if !inTable, line.hasPrefix("language =") { return "language = \"\(language)\"" }
            if !inTable, chinese, line.hasPrefix("currency =") { return "currency = \"CNY\"" }
            return String(line)
        }.joined(separator: "\n")
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    /// `lectern new course SLUG`.
    @discardableResult
    public func newCourse(_ slug: String) throws -> URL {
        let config = try SiteConfig.load(root: root)
        try requireSlug(slug, what: "course")
        let folder = config.url(config.contentDir).appendingPathComponent(slug)
        let file = folder.appendingPathComponent("_index.md")
        let text = """
            ---
            title: \(Self.titleCase(slug))
            summary: One sentence that tells a reader what they will be able to do.
            price: "29.00"
            currency: \(config.currency)
            tags: []
            draft: true
            ---
            Describe the course here: who it is for and what they will learn.

            """
        try create(file, text)
        return file
    }

    /// `lectern new lesson COURSE SLUG`: numbered after the course's last lesson.
    @discardableResult
    public func newLesson(course: String, slug: String, free: Bool) throws -> URL {
        let config = try SiteConfig.load(root: root)
        try requireSlug(slug, what: "lesson")
        let folder = config.url(config.contentDir).appendingPathComponent(course)
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("_index.md").path) else {
            throw LecternError(
                .scaffold, file: "\(config.contentDir)/\(course)/_index.md", "no course `\(course)`",
                hint: "create it first with `lectern new course \(course)`")
        }
        // A second lesson with the same slug would break the next build (two pages at one URL): refused here.
        let lessons = (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".md") && !$0.hasSuffix("_index.md") }
        if let taken = lessons.sorted().first(where: { LessonFileName(($0 as NSString).lastPathComponent).slug == slug }
        ) {
            throw LecternError(
                .scaffold, file: "\(config.contentDir)/\(course)/\(taken)", "a lesson `\(slug)` already exists",
                hint: "pick another slug, or edit that lesson")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let next = (names.compactMap { LessonFileName($0).order }.max() ?? 0) + 1
        let file = folder.appendingPathComponent(String(format: "%02d-%@.md", next, slug))
        let text = """
            ---
            title: \(Self.titleCase(slug))
            free: \(free)
            ---
            Write the lesson here.

            """
        try create(file, text)
        return file
    }

    private func requireSlug(_ slug: String, what: String) throws {
        guard LessonFileName.isValidSlug(slug) else {
            throw LecternError(
                .scaffold, "`\(slug)` is not a valid \(what) slug",
                hint:
                    "use lower-case letters, digits, Chinese characters and single hyphens, "
                    + "e.g. `getting-started` or `入门`"
            )
        }
    }

    private func create(_ file: URL, _ text: String) throws {
        guard !FileManager.default.fileExists(atPath: file.path) else {
            throw LecternError(.scaffold, file: file.path, "already exists")
        }
        do {
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        } catch {
            throw LecternError(.scaffold, file: file.path, "cannot write (\(error.localizedDescription))")
        }
    }

    static func titleCase(_ slug: String) -> String {
        slug.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
    }
}
