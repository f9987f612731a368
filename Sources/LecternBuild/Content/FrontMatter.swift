import Foundation
import LecternConfig
import LecternCore

/// Splits a Markdown file into its front matter (YAML between `---` lines, or TOML between `+++`
/// lines) and its body, and parses the front matter.
package struct FrontMatter {
    var settings: SettingsTable
    var body: String
    /// The file line on which `body` starts, so Markdown diagnostics point at the real line.
    var bodyFirstLine: Int

    package static func parse(_ text: String, file: String) throws -> FrontMatter {
        // Walks lines only until the closing fence: the body is taken whole (splitting every file
        // into lines and joining the body again was 7 % of a build).
        var lineStart = text.startIndex
        var lineNumber = 1
        func nextLine() -> Substring? {
            guard lineStart < text.endIndex else { return nil }
            let end = text[lineStart...].firstIndex(of: "\n") ?? text.endIndex
            let line = text[lineStart..<end]
            lineStart = end < text.endIndex ? text.index(after: end) : end
            lineNumber += 1
            return line
        }
        let fence = nextLine().map { $0.trimmingCharacters(in: .whitespaces) }
        guard fence == "---" || fence == "+++", let fence else {
            throw LecternError(
                .frontMatter, file: file, line: 1, "missing front matter",
                hint: "start the file with a `---` line, then `title: ...`, then another `---` line")
        }
        let headerStart = lineStart
        var headerEnd: String.Index?
        while headerEnd == nil {
            let before = lineStart
            guard let line = nextLine() else { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == fence || (fence == "---" && trimmed == "...") { headerEnd = before }
        }
        guard let headerEnd else {
            throw LecternError(
                .frontMatter, file: file, line: 1, "front matter opened with `\(fence)` is never closed",
                hint: "add a line with only `\(fence)` after the last front-matter key")
        }
        // The header without its last newline, as the line-joined form had it.
        var header = text[headerStart..<headerEnd]
        if header.hasSuffix("\n") { header = header.dropLast() }
        var body = text[lineStart...]
        if body.hasSuffix("\n") { body = body.dropLast() }
        let settings =
            fence == "---"
            ? try SimpleYAML.read(String(header), file: file, firstLine: 2)
                ?? YAMLSettingsReader.read(String(header), file: file, firstLine: 2)
            : try TOMLSettingsReader.read(String(header), file: file, step: .frontMatter, firstLine: 2)
        return FrontMatter(settings: settings, body: String(body), bodyFirstLine: lineNumber)
    }
}
