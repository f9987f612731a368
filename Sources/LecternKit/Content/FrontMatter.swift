/// Splits a Markdown file into its front matter (YAML between `---` lines, or TOML between `+++`
/// lines) and its body, and parses the front matter.
struct FrontMatter {
    var settings: SettingsTable
    var body: String
    /// The file line on which `body` starts, so Markdown diagnostics point at the real line.
    var bodyFirstLine: Int

    static func parse(_ text: String, file: String) throws -> FrontMatter {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let fence = lines.first.map { $0.trimmingCharacters(in: .whitespaces) }
        guard fence == "---" || fence == "+++", let fence else {
            throw LecternError(.frontMatter, file: file, line: 1, "missing front matter",
                               hint: "start the file with a `---` line, then `title: ...`, then another `---` line")
        }
        guard let end = lines.indices.dropFirst().first(where: {
            let line = lines[$0].trimmingCharacters(in: .whitespaces)
            return line == fence || (fence == "---" && line == "...")
        }) else {
            throw LecternError(.frontMatter, file: file, line: 1, "front matter opened with `\(fence)` is never closed",
                               hint: "add a line with only `\(fence)` after the last front-matter key")
        }
        let header = lines[1..<end].joined(separator: "\n")
        let body = lines[(end + 1)...].joined(separator: "\n")
        let settings = fence == "---"
            ? try YAMLSettingsReader.read(header, file: file, firstLine: 2)
            : try TOMLSettingsReader.read(header, file: file, step: .frontMatter, firstLine: 2)
        return FrontMatter(settings: settings, body: body, bodyFirstLine: end + 2)
    }
}
