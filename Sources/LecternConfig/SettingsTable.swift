import Foundation
import LecternCore

/// A parsed key/value document (front matter or `lectern.toml`), independent of YAML or TOML, that
/// remembers the line of every key so a wrong value can be reported where the creator wrote it.
package struct SettingsTable: Sendable, Equatable {
    package indirect enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case number(Double)
        case bool(Bool)
        case list([Value])
        case table(SettingsTable)
    }

    package struct Entry: Sendable, Equatable {
        package var value: Value
        package var line: Int?

        package init(value: Value, line: Int?) {
            self.value = value
            self.line = line
        }
    }

    package var entries: [String: Entry] = [:]
    /// Where this document comes from, for error messages.
    package var file: String
    package var step: LecternError.Step

    package init(file: String, step: LecternError.Step, entries: [String: Entry] = [:]) {
        self.file = file
        self.step = step
        self.entries = entries
    }

    // MARK: Validation

    /// Fails on the first key not in `allowed`, naming it and its line; typos must not be ignored silently.
    package func rejectUnknownKeys(allowed: Set<String>, section: String? = nil) throws {
        for key in entries.keys.sorted() where !allowed.contains(key) {
            let name = section.map { "\($0).\(key)" } ?? key
            throw LecternError(
                step, file: file, line: entries[key]?.line,
                "unknown key `\(name)`",
                hint: "known keys here: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    package func line(of key: String) -> Int? { entries[key]?.line }

    package func error(_ key: String, _ message: String, hint: String? = nil) -> LecternError {
        LecternError(step, file: file, line: entries[key]?.line, message, hint: hint)
    }

    // MARK: Typed access

    package func string(_ key: String) throws -> String? {
        guard let entry = entries[key] else { return nil }
        switch entry.value {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        default: throw error(key, "`\(key)` must be text")
        }
    }

    package func requiredString(_ key: String, hint: String) throws -> String {
        guard let value = try string(key), !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            // A missing key has no line of its own: point at the start of the document.
            throw LecternError(step, file: file, line: 1, "missing `\(key)`", hint: hint)
        }
        return value
    }

    package func bool(_ key: String) throws -> Bool? {
        guard let entry = entries[key] else { return nil }
        guard case .bool(let b) = entry.value else {
            throw error(key, "`\(key)` must be true or false")
        }
        return b
    }

    package func integer(_ key: String) throws -> Int? {
        guard let entry = entries[key] else { return nil }
        guard case .integer(let i) = entry.value else {
            throw error(key, "`\(key)` must be a whole number")
        }
        return i
    }

    package func stringList(_ key: String) throws -> [String] {
        guard let entry = entries[key] else { return [] }
        switch entry.value {
        case .string(let s): return [s]
        case .list(let items):
            return try items.map {
                guard case .string(let s) = $0 else { throw error(key, "`\(key)` must be a list of text") }
                return s
            }
        default: throw error(key, "`\(key)` must be a list of text")
        }
    }

    package func table(_ key: String) throws -> SettingsTable? {
        guard let entry = entries[key] else { return nil }
        guard case .table(let t) = entry.value else { throw error(key, "`\(key)` must be a table") }
        return t
    }
}
