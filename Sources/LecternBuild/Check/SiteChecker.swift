import Foundation
import LecternConfig
import LecternCore

/// `lectern check`: everything a build would refuse, listed all at once instead of stopping at the
/// first, plus what a build lets through but a reader would trip over: anchors that name no heading,
/// duplicate titles, and free pages that quote paid lessons.
public struct SiteChecker {
    public let root: URL
    /// Also what fails a live shop (`ProductionCheck`), compared with this starter site.
    public var production: (starter: URL?, enabled: Bool) = (nil, false)

    public init(root: URL) { self.root = root }

    public func run() -> [CheckProblem] {
        let pipeline: SitePipeline
        do {
            pipeline = try SitePipeline(root: root, purchases: { _ in [] }, mode: .check)
        } catch let error as LecternError {
            // A site that does not load cannot be checked further; the loader names the first problem.
            let kind: CheckProblem.Kind =
                error.step == .config ? .config : error.step == .template ? .template : .content
            return [CheckProblem(error, kind: kind)]
        } catch {
            return [CheckProblem(file: SiteConfig.fileName, line: nil, kind: .content, message: "\(error)")]
        }

        // The build's own job list, rendered in check mode: every problem kept, nothing written.
        let jobs = pipeline.jobs
        let renderer = pipeline.renderer
        let rendered =
            (try? ParallelMap.run(jobs, progress: nil) { job in Swift.Result { try renderer.render(job) } }) ?? []
        var problems: [CheckProblem] = []
        var headings: [String: Set<String>] = [:]  // page path → heading ids
        var anchors: [(file: String, anchor: PageRenderer.Anchor)] = []
        var leaks = LeakLint()
        var freeTexts: [(source: String, firstLine: Int, body: String, text: String)] = []
        for (job, outcome) in zip(jobs, rendered) {
            let result: PageRenderer.Result
            switch outcome {
            case .success(let made): result = made
            case .failure(let error as LecternError):
                problems.append(CheckProblem(error))
                continue
            case .failure(let error):
                problems.append(
                    CheckProblem(file: job.course.sourcePath, line: nil, kind: .markdown, message: "\(error)"))
                continue
            }
            problems += result.problems.map { CheckProblem($0) }
            headings[result.url] = Set(result.headingIDs)
            anchors += result.anchors.map { (result.source, $0) }
            if result.isPublic {
                freeTexts.append((result.source, job.source.firstLine, job.source.body, result.proseText))
            } else {
                leaks.addPaid(result.proseText, source: result.source)
            }
        }

        for course in pipeline.catalog.courses {
            var titles: [String: String] = [:]
            for lesson in course.lessons {
                let key = lesson.title.lowercased()
                if let first = titles[key] {
                    problems.append(
                        CheckProblem(
                            file: lesson.sourcePath, line: Self.titleLine(of: lesson), kind: .duplicateTitle,
                            message: "title \"\(lesson.title)\" is also used by \(first)", severity: .warning))
                } else {
                    titles[key] = lesson.sourcePath
                }
            }
        }

        problems += PublicationRules.brokenAnchors(anchors, headings: headings)
        problems += freeTexts.compactMap { PublicationRules.quote(in: $0, lint: leaks) }
        problems += Self.missingStrings(pipeline)
        if production.enabled {
            problems += ProductionCheck(
                config: pipeline.config, courses: pipeline.catalog.courses, starter: production.starter
            ).problems()
        }
        for product in pipeline.config.products where !pipeline.catalog.products.contains(product) {
            problems.append(
                CheckProblem(
                    file: SiteConfig.fileName, line: product.line, kind: .content,
                    message: "product `\(product.id)` is not sold: every course it opens is a draft",
                    severity: .warning))
        }
        for layout in TemplateSet.Layout.allCases where !layout.isRequired && !pipeline.templates.has(layout) {
            // A site made before the layout existed: it builds, without that page (products without pages
            // only matter when there are products).
            if layout == .bundle && pipeline.config.products.isEmpty { continue }
            let pages = layout == .bundle ? "/bundles/<product>/ pages" : "/\(layout.rawValue)/ page"
            problems.append(
                CheckProblem(
                    file: "\(pipeline.config.templateDir)/layouts/\(layout.rawValue).mustache", line: nil,
                    kind: .missingLayout,
                    message: "no `\(layout.rawValue)` layout: the site has no \(pages) "
                        + "(copy it from a new `lectern init` site)",
                    severity: .warning))
        }
        return problems.sorted { ($0.file, $0.line ?? 0) < ($1.file, $1.line ?? 0) }
    }

    /// Words a reader of the site's language would see in English: no strings file for the language, or
    /// keys its file lacks. Warnings: the site builds, in two languages.
    static func missingStrings(_ pipeline: SitePipeline) -> [CheckProblem] {
        let strings = pipeline.templates.strings
        let language = pipeline.config.language
        let reference = "\(pipeline.config.templateDir)/\(SiteStrings.folder)/\(SiteStrings.referenceLanguage).toml"
        guard language != SiteStrings.referenceLanguage, !strings.values.isEmpty else { return [] }
        guard let file = strings.file else {
            return [
                CheckProblem(
                    file: "\(pipeline.config.templateDir)/\(SiteStrings.folder)/\(language).toml", line: nil,
                    kind: .missingString,
                    message: "no strings for `\(language)`: readers see the English of \(reference)",
                    severity: .warning)
            ]
        }
        return strings.missing.map { key in
            CheckProblem(
                file: file, line: nil, kind: .missingString,
                message: "no `\(key)`: readers see the English of \(reference)", severity: .warning)
        }
    }

    /// The front-matter line holding `title`, for pointing at it.
    static func titleLine(of lesson: Lesson) -> Int? {
        let text = (try? String(contentsOf: lesson.fileURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.hasPrefix("title") }.map { $0 + 1 }
    }
}
