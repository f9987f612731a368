import Foundation
import LecternConfig
import LecternCore
import Yams

/// A fast path for the front matter nearly every lesson has: flat `key: value` lines with plain or
/// simply quoted scalars and one-line `[a, b]` lists. Anything else — nesting, block lists,
/// multi-line or escaped strings, anchors, comments after values, duplicate keys — returns nil and
/// goes to the full YAML parser (Yams), which also produces every error message. Scalars are typed
/// by Yams's own resolver, so both paths give the same table (a test compares them).
enum SimpleYAML {
    static func read(_ text: String, file: String, firstLine: Int) -> SettingsTable? {
        var table = SettingsTable(file: file, step: .frontMatter)
        var lineNumber = firstLine - 1
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " }) { continue }
            if line.first == "#" { continue }
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let key = line[..<colon]
            guard let first = key.first, first.isASCII, first.isLetter || first == "_",
                key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            else { return nil }
            let afterColon = line[line.index(after: colon)...]
            guard afterColon.first == " " else { return nil }  // `key:` alone opens a nested block
            let value = Substring(afterColon.trimmingCharacters(in: [" "]))
            guard !value.isEmpty, table.entries[String(key)] == nil, let parsed = scalarOrList(value) else {
                return nil
            }
            table.entries[String(key)] = .init(value: parsed, line: lineNumber)
        }
        return table
    }

    private static func scalarOrList(_ value: Substring) -> SettingsTable.Value? {
        if value.first == "[" {
            guard value.last == "]" else { return nil }
            let inner = value.dropFirst().dropLast()
            if inner.allSatisfy({ $0 == " " }) { return .list([]) }
            var items: [SettingsTable.Value] = []
            for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = Substring(part.trimmingCharacters(in: [" "]))
                guard !trimmed.isEmpty, let parsed = scalar(trimmed, inList: true) else { return nil }
                items.append(parsed)
            }
            return .list(items)
        }
        return scalar(value, inList: false)
    }

    private static func scalar(_ value: Substring, inList: Bool) -> SettingsTable.Value? {
        if value.first == "\"" {
            let inner = value.dropFirst()
            guard inner.count >= 1, inner.last == "\"" else { return nil }
            let content = inner.dropLast()
            guard !content.contains("\""), !content.contains("\\") else { return nil }
            return .string(String(content))
        }
        if value.first == "'" {
            let inner = value.dropFirst()
            guard inner.count >= 1, inner.last == "'" else { return nil }
            let content = inner.dropLast()
            guard !content.contains("'") else { return nil }
            return .string(String(content))
        }
        // Plain scalars: refuse anything with YAML meaning (indicators, comments, nested flow, `: `).
        guard let first = value.first, !"-?:,[]{}#&*!|>'\"%@`".contains(first), !value.contains(": "),
            !value.contains(" #"),
            !value.contains("\t"),
            !(inList && (value.contains("[") || value.contains("]") || value.contains("{") || value.contains("}"))),
            !value.hasSuffix(":")
        else { return nil }
        let node = Node.scalar(.init(String(value)))
        if let bool = node.bool { return .bool(bool) }
        if let int = YAMLInteger.parse(String(value)) { return .integer(int) }
        return .string(String(value))
    }
}
