import Foundation
import LecternConfig
import LecternCore
import Yams

/// Turns YAML front matter into a `SettingsTable`, keeping each key's line.
enum YAMLSettingsReader {
    /// - Parameter firstLine: the file line of the text's first line (front matter starts after `---`).
    static func read(_ text: String, file: String, firstLine: Int) throws -> SettingsTable {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw LecternError(
                .frontMatter, file: file, line: yamlLine(error).map { $0 + firstLine - 1 } ?? firstLine,
                "invalid YAML: \(summary(of: error))",
                hint: "front matter is YAML between two `---` lines; quote values that contain `:` or `#`")
        } catch {
            throw LecternError(.frontMatter, file: file, line: firstLine, "invalid YAML: \(error)")
        }
        guard let node else { return SettingsTable(file: file, step: .frontMatter) }
        guard let mapping = node.mapping else {
            throw LecternError(
                .frontMatter, file: file, line: firstLine,
                "front matter must be a set of `key: value` lines")
        }
        return table(mapping, file: file, firstLine: firstLine)
    }

    private static func table(_ mapping: Node.Mapping, file: String, firstLine: Int) -> SettingsTable {
        var table = SettingsTable(file: file, step: .frontMatter)
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            let line = key.mark.map { $0.line + firstLine - 1 }
            table.entries[name] = .init(value: convert(value, file: file, firstLine: firstLine), line: line)
        }
        return table
    }

    private static func convert(_ node: Node, file: String, firstLine: Int) -> SettingsTable.Value {
        switch node {
        case .scalar(let scalar):
            // Quoted scalars are always text. Decimals stay text too: a price written 49.90 must not become 49.9.
            guard scalar.style == .plain else { return .string(scalar.string) }
            if let bool = node.bool { return .bool(bool) }
            if let int = YAMLInteger.parse(scalar.string) { return .integer(int) }
            return .string(scalar.string)
        case .sequence(let sequence):
            return .list(sequence.map { convert($0, file: file, firstLine: firstLine) })
        case .mapping(let mapping):
            return .table(table(mapping, file: file, firstLine: firstLine))
        case .alias:
            return .string("")
        }
    }

    private static func yamlLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(let context, _, let mark, _), .parser(let context, _, let mark, _),
            .composer(let context, _, let mark, _):
            // The context is where the broken construct started (an unclosed `[`): the line to fix.
            return context?.mark.line ?? mark.line
        case .duplicatedKeysInMapping(_, let context):
            return context.mark.line
        default:
            return nil
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return prefix + problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key `\(duplicates.joined(separator: "`, `"))`"
        default:
            return "\(error)".components(separatedBy: "\n").first ?? "\(error)"
        }
    }
}
