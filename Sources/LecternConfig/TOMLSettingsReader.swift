import Foundation
import LecternCore
import TOMLKit

/// Turns TOML text into a `SettingsTable`, with line numbers for parse errors and for keys.
package enum TOMLSettingsReader {
    /// - Parameter firstLine: the file line of the text's first line (front matter starts after a fence).
    package static func read(
        _ text: String, file: String, step: LecternError.Step, firstLine: Int = 1
    ) throws -> SettingsTable {
        try rejectNonASCIITableNames(text, file: file, step: step, firstLine: firstLine)
        try TOMLBracketGuard.check(text, file: file, step: step, firstLine: firstLine)
        let toml: TOMLTable
        do {
            toml = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw LecternError(
                step, file: file, line: error.source.begin.line + firstLine - 1,
                "invalid TOML: \(error.description)")
        } catch {
            throw LecternError(step, file: file, line: firstLine, "invalid TOML: \(error)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return convert(toml, lines: lines, firstLine: firstLine, file: file, step: step, section: nil)
    }

    /// Control characters are refused first. Then: toml++ (inside TOMLKit) aborts the process on a table
    /// header whose name starts with a character that is neither a bare-key character nor a quote (`[é]`,
    /// `[!x]`, `[` + a control character): an assertion, in release builds too. Found by fuzzing; such
    /// headers are refused here with their line before the parser sees them. Quoted names (`["é"]`) stay allowed.
    static func rejectNonASCIITableNames(_ text: String, file: String, step: LecternError.Step, firstLine: Int) throws {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        var line = 0
        var atLineStart = true
        var inMultilineString = false
        func starts(_ s: String, at i: Int) -> Bool {
            let p = Array(s.unicodeScalars)
            return i + p.count <= scalars.count && Array(scalars[i..<(i + p.count)]) == p
        }
        while index < scalars.count {
            let c = scalars[index]
            if starts("\"\"\"", at: index) || starts("'''", at: index) {
                inMultilineString.toggle()
                index += 3
                atLineStart = false
                continue
            }
            if c == "\n" {
                line += 1
                atLineStart = true
                index += 1
                continue
            }
            // TOML allows no control characters but tab (toml++ mishandles some instead of refusing them).
            if (c.value < 0x20 && c != "\t" && c != "\r") || c.value == 0x7F {
                throw LecternError(
                    step, file: file, line: line + firstLine,
                    String(format: "invalid TOML: control character U+%04X", c.value),
                    hint: "remove it (TOML text may contain tabs but no other control characters)")
            }
            if atLineStart && (c == " " || c == "\t" || c == "\u{FEFF}") {
                index += 1
                continue
            }
            if atLineStart && c == "[" && !inMultilineString {
                var probe = index + 1
                if probe < scalars.count && scalars[probe] == "[" { probe += 1 }
                let probeLine = line
                while probe < scalars.count, scalars[probe] == " " || scalars[probe] == "\t" { probe += 1 }
                if probe < scalars.count {
                    let first = scalars[probe]
                    if !(first.isASCII
                        && (first.properties.isAlphabetic || ("0"..."9").contains(first)
                            || "_-\"'".unicodeScalars.contains(first)))
                    {
                        let shown =
                            first.value < 0x20 || first.value == 0x7F
                            ? String(format: "U+%04X", first.value) : String(first)
                        throw LecternError(
                            step, file: file, line: probeLine + firstLine,
                            "invalid TOML: table name starts with `\(shown)`",
                            hint: "table names are ASCII letters, digits, `_` and `-`; quote others: [\"name\"]")
                    }
                }
            }
            atLineStart = false
            index += 1
        }
    }

    private static func convert(
        _ toml: TOMLTable, lines: [String], firstLine: Int, file: String,
        step: LecternError.Step, section: String?
    ) -> SettingsTable {
        var table = SettingsTable(file: file, step: step)
        for key in toml.keys {
            guard let value = toml[key] else { continue }
            let converted: SettingsTable.Value
            if let sub = value.table {
                converted = .table(
                    convert(
                        sub, lines: lines, firstLine: firstLine, file: file, step: step,
                        section: section.map { "\($0).\(key)" } ?? key))
            } else {
                converted = convert(value)
            }
            let line = keyLine(key, section: section, isTable: value.table != nil, lines: lines)
            table.entries[key] = .init(value: converted, line: line.map { $0 + firstLine - 1 })
        }
        return table
    }

    private static func convert(_ value: TOMLValueConvertible) -> SettingsTable.Value {
        if let s = value.string { return .string(s) }
        if let b = value.bool { return .bool(b) }
        if let i = value.int { return .integer(i) }
        if let d = value.double { return .number(d) }
        if let a = value.array { return .list(a.map { convert($0) }) }
        if let t = value.table {
            return .table(convert(t, lines: [], firstLine: 1, file: "", step: .config, section: nil))
        }
        return .string(value.debugDescription)
    }

    /// TOMLKit keeps no key positions, so find the line by looking for `key =` (or `[section.key]`)
    /// inside the right section. Good enough to point a creator at the right place.
    private static func keyLine(_ key: String, section: String?, isTable: Bool, lines: [String]) -> Int? {
        let fullName = section.map { "\($0).\(key)" } ?? key
        var current: String?
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                if isTable && name == fullName { return index + 1 }
                current = name
                continue
            }
            if current == section, line.hasPrefix(key) {
                let rest = line.dropFirst(key.count).trimmingCharacters(in: .whitespaces)
                if rest.hasPrefix("=") { return index + 1 }
            }
        }
        return nil
    }
}
