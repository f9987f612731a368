import Foundation
import LecternCore

/// Checks and rewrites the links a creator writes between content files.
///
/// Creators link the way their editor previews: `[next](02-setup.md)`, `![diagram](images/flow.png)`.
/// The site needs `/courses/intro/setup/` and `/courses/intro/images/flow.png`. A link to a lesson or
/// file that does not exist is an error with the file and line, so broken links never ship.
struct LinkResolver: Sendable {
    /// Page URL for each Markdown file, keyed by standardized absolute path.
    private var pageByFile: [String: String] = [:]
    /// Every page URL the build produces, for checking root-relative links.
    private var knownPaths: Set<String> = ["/"]
    /// Draft files, to give a better message than "not found".
    private var draftFiles: Set<String> = []

    init(catalog: Catalog) {
        for course in catalog.courses {
            pageByFile[course.directory.appendingPathComponent("_index.md").standardizedFileURL.path] =
                course.landingPath
            knownPaths.insert(course.landingPath)
            for lesson in course.lessons {
                pageByFile[lesson.fileURL.standardizedFileURL.path] = lesson.path
                knownPaths.insert(lesson.path)
            }
        }
        draftFiles = catalog.draftFiles
    }

    /// A file (image, download) referenced by a page, to be copied next to it.
    struct Asset: Hashable, Sendable {
        var source: URL
        /// Path relative to the course folder.
        var relativePath: String
    }

    /// Where a link is written: the Markdown file, its course, and whether the page is public.
    struct Origin {
        var file: URL
        var displayPath: String
        var course: Course
        var isPublic: Bool
    }

    /// Returns the URL to emit, recording referenced assets in `assets`.
    func resolve(_ url: String, from origin: Origin, line: Int, assets: inout Set<Asset>) throws -> String {
        if url.isEmpty || url.hasPrefix("#") || url.hasPrefix("//") || hasScheme(url) { return url }
        let (path, suffix) = splitSuffix(url)
        if path.hasPrefix("/") {
            // Compared (and emitted) percent-encoded, as the build's own URLs are: `/courses/课程/` and
            // `/courses/%E8%AF%BE%E7%A8%8B/` are one page.
            let encoded = SiteRoutes.encodedPath(path)
            let normalized = encoded.hasSuffix("/") || encoded.contains(".") ? encoded : encoded + "/"
            if SiteRoutes.isCoursePage(path) && !normalized.contains(".")
                && !knownPaths.contains(normalized)
            {
                throw broken(url, origin, line, "no page has the URL `\(path)`")
            }
            return encoded + suffix
        }
        let decoded = path.removingPercentEncoding ?? path
        let target = origin.file.deletingLastPathComponent().appendingPathComponent(decoded).standardizedFileURL
        if decoded.hasSuffix(".md") {
            if let page = pageByFile[target.path] { return page + suffix }
            if draftFiles.contains(target.path) {
                throw broken(
                    url, origin, line, "links to a draft lesson", code: .draftLink,
                    hint: "publish the target (remove `draft: true`) or remove the link; `--drafts` builds drafts too")
            }
            throw broken(url, origin, line, "no lesson file `\(decoded)` next to this one")
        }
        let courseRoot = origin.course.directory.standardizedFileURL.path + "/"
        guard target.path.hasPrefix(courseRoot) else {
            throw broken(
                url, origin, line, "links outside the course folder",
                hint: "keep images and downloads inside the course folder, e.g. \(origin.course.slug)/images/")
        }
        guard FileManager.default.fileExists(atPath: target.path) else {
            throw broken(url, origin, line, "file `\(decoded)` does not exist", code: .missingFile)
        }
        let relative = String(target.path.dropFirst(courseRoot.count))
        assets.insert(Asset(source: target, relativePath: relative))
        let encoded = relative.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? relative
        return SiteRoutes.courseFile(encoded, course: origin.course.slug, free: origin.isPublic) + suffix
    }

    private func broken(
        _ url: String, _ origin: Origin, _ line: Int, _ why: String, code: ProblemKind = .brokenLink,
        hint: String? = nil
    ) -> LecternError {
        var error = LecternError(
            .markdown, file: origin.displayPath, line: line, "broken link `\(url)`: \(why)",
            hint: hint ?? "link to another lesson by its file name, e.g. [Setup](02-setup.md)")
        error.code = code
        return error
    }

    private func hasScheme(_ url: String) -> Bool {
        guard let colon = url.firstIndex(of: ":") else { return false }
        let scheme = url[..<colon]
        return !scheme.isEmpty
            && scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }

    /// Splits `a/b.md#part` into `a/b.md` and `#part` (also `?query`).
    private func splitSuffix(_ url: String) -> (String, String) {
        guard let index = url.firstIndex(where: { $0 == "#" || $0 == "?" }) else { return (url, "") }
        return (String(url[..<index]), String(url[index...]))
    }
}
