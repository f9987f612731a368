import Foundation
import LecternCore
import Mustache

/// The creator's templates: Mustache files under `site-template/layouts/` (one per page kind) and
/// `site-template/partials/` (included with `{{> name}}`). Loaded once per build; rendering is
/// read-only and safe from many threads.
public struct TemplateSet: Sendable {
    /// Page kinds the builder renders; each needs `layouts/<name>.mustache`.
    public enum Layout: String, CaseIterable, Sendable {
        case home, course, lesson
        case paidLesson = "paid-lesson"
        case notFound = "404"
        /// The daemon's notices (`GateShell`), one page per variant.
        case gate
        /// The buyer's library (`/library/`), filled in by its script. Optional: a site made before it
        /// existed builds without it (and `lectern check` says so).
        case library
        /// A product's landing page (`/bundles/<id>/`). Optional as the library is: without it, products are
        /// sold from their buy links only.
        case bundle

        public var isRequired: Bool { self != .library && self != .bundle }
    }

    private let library: MustacheLibrary
    /// Display path of the template folder, for messages.
    let folder: String
    /// The reader's words in the site's language; each is also the partial `t.<key>`.
    public let strings: SiteStrings

    /// Loads and parses every template and string, failing on the first syntax error with its file and
    /// line, or on a template that includes a string no table has.
    public init(directory: URL, display: String, strings: SiteStrings = SiteStrings()) throws {
        folder = display
        self.strings = strings
        var library = MustacheLibrary()
        for (key, text) in strings.values.sorted(by: { $0.key < $1.key }) {
            let place = strings.location(of: key)
            do {
                library.register(try MustacheTemplate(string: text), named: "t.\(key)")
            } catch let error as MustacheTemplate.ParserError {
                throw LecternError(
                    .template, file: place?.file, line: place?.line,
                    "string `\(key)`: template syntax error: \(Self.explain(error.error))",
                    hint: "a string may use the page's values as {{name}}, with every tag closed")
            }
        }
        for kind in ["layouts", "partials"] {
            let sub = directory.appendingPathComponent(kind)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: sub.path)) ?? [])
                .filter { $0.hasSuffix(".mustache") }.sorted()
            for name in names {
                let path = "\(display)/\(kind)/\(name)"
                let text = try TextFile.read(sub.appendingPathComponent(name), displayPath: path, step: .template)
                try Self.checkStringReferences(text, file: path, strings: strings)
                do {
                    let template = try MustacheTemplate(string: text)
                    let key = String(name.dropLast(".mustache".count))
                    library.register(template, named: kind == "layouts" ? "layout:\(key)" : key)
                } catch let error as MustacheTemplate.ParserError {
                    throw LecternError(
                        .template, file: path, line: error.context.lineNumber,
                        "template syntax error: \(Self.explain(error.error))"
                            + " near `\(error.context.line.trimmingCharacters(in: .whitespaces))`",
                        hint:
                            "check that every {{#section}} has a matching {{/section}} and every tag is closed with }}")
                }
            }
        }
        for layout in Layout.allCases
        where layout.isRequired && library.getTemplate(named: "layout:\(layout.rawValue)") == nil {
            throw LecternError(
                .template, file: "\(display)/layouts/\(layout.rawValue).mustache", "layout is missing",
                hint:
                    "every site needs the layouts "
                    + Layout.allCases.filter(\.isRequired).map(\.rawValue).joined(separator: ", ")
                    + "; copy it from a new `lectern init` site"
            )
        }
        self.library = library
    }

    /// Whether the site has this layout (always, for a required one).
    public func has(_ layout: Layout) -> Bool { library.getTemplate(named: "layout:\(layout.rawValue)") != nil }

    public func render(_ layout: Layout, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: "layout:\(layout.rawValue)") ?? ""
    }

    /// Renders a partial on its own (nil when the site has no such partial).
    public func renderPartial(_ name: String, _ context: [String: Any]) -> String? {
        library.render(context, withTemplate: name)
    }

    func path(of layout: Layout) -> String { "\(folder)/layouts/\(layout.rawValue).mustache" }

    /// `{{> t.key}}` must name a string: Mustache renders an unknown partial as nothing, and a page
    /// with a silent hole where "Buy the course" was is worse than a failed build.
    static func checkStringReferences(_ text: String, file: String, strings: SiteStrings) throws {
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = line[...]
            while let open = rest.range(of: "{{>") {
                rest = rest[open.upperBound...]
                let name = rest.prefix { $0 != "}" }.trimmingCharacters(in: .whitespaces)
                guard name.hasPrefix("t."), strings.values[String(name.dropFirst(2))] == nil else { continue }
                throw LecternError(
                    .template, file: file, line: number + 1, "no string `\(name.dropFirst(2))` for `{{> \(name)}}`",
                    hint: "add it to \(strings.file ?? "\(SiteStrings.folder)/\(SiteStrings.referenceLanguage).toml")")
            }
        }
    }

    private static func explain(_ error: Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "\(error)" }
        switch error {
        case .sectionCloseNameIncorrect: return "a section is closed with the wrong name"
        case .unfinishedName: return "a tag is not closed"
        case .expectedSectionEnd: return "a section is never closed"
        case .invalidSetDelimiter: return "bad set-delimiter tag"
        default: return "\(error)"
        }
    }
}
