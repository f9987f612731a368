import Foundation
import LecternConfig
import LecternCore

/// Every word a reader sees, in the site's language: `site-template/strings/<language>.toml`, one
/// string per key. Each string is a small Mustache template with the page's values (`buy = "Buy the
/// course · {{price}}"`, `date = "{{date.year}}年{{date.month}}月{{date.day}}日"`), so each language
/// puts them in its own order; layouts include one as `{{> t.buy}}`.
///
/// `language` in `lectern.toml` (BCP 47: `en`, `zh-CN`) picks the file; without one for that language
/// the English file is used. A key the language's file lacks falls back to English, and `lectern
/// check` lists it. English is the reference: it has every key a template of Lectern's uses.
public struct SiteStrings: Sendable {
    public static let folder = "strings"
    public static let referenceLanguage = "en"

    /// The strings by key (the language's, completed from English).
    public private(set) var values: [String: String] = [:]
    /// Keys English has and this language's file lacks (shown in English).
    public private(set) var missing: [String] = []
    /// The file read for the site's language (display path), or nil when there is none.
    public private(set) var file: String?
    /// Where each key is, for errors (`file:line`).
    private(set) var lines: [String: (file: String, line: Int?)] = [:]

    public init() {}

    /// Reads `<template>/strings/<language>.toml` and `en.toml`. A template folder without
    /// `strings/` (made before string tables) gives an empty table.
    public static func load(directory: URL, display: String, language: String) throws -> SiteStrings {
        let folder = directory.appendingPathComponent(folder)
        var strings = SiteStrings()
        let reference = try read(folder, display, referenceLanguage)
        let own = language == referenceLanguage ? reference : try read(folder, display, language)
        for (key, entry) in reference?.entries ?? [:] {
            strings.values[key] = entry.text
            strings.lines[key] = (entry.file, entry.line)
        }
        if let own {
            strings.file = own.file
            for (key, entry) in own.entries {
                strings.values[key] = entry.text
                strings.lines[key] = (entry.file, entry.line)
            }
            strings.missing = Set(reference?.entries.keys.map { $0 } ?? []).subtracting(own.entries.keys).sorted()
        }
        return strings
    }

    /// Where a key is defined, for messages.
    func location(of key: String) -> (file: String, line: Int?)? { lines[key] }

    private struct Entry {
        var text: String
        var file: String
        var line: Int?
    }

    private struct Table {
        var file: String
        var entries: [String: Entry]
    }

    private static func read(_ folder: URL, _ display: String, _ language: String) throws -> Table? {
        // The language tag names a file, so it must not name anything else.
        guard !language.isEmpty, language.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else {
            throw LecternError(
                .config, file: SiteConfig.fileName, "language `\(language)` is not a BCP 47 language tag",
                hint: "write it like `en` or `zh-CN`")
        }
        let url = folder.appendingPathComponent("\(language).toml")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let path = "\(display)/\(Self.folder)/\(language).toml"
        let text = try TextFile.read(url, displayPath: path, step: .template)
        let table = try TOMLSettingsReader.read(text, file: path, step: .template)
        var entries: [String: Entry] = [:]
        for key in table.entries.keys {
            guard let value = try table.string(key) else { continue }
            guard key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw table.error(key, "string key `\(key)` must be letters, digits and _", hint: "e.g. buy_course")
            }
            entries[key] = Entry(text: value, file: path, line: table.line(of: key))
        }
        return Table(file: path, entries: entries)
    }
}
