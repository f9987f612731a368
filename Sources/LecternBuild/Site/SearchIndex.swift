import Foundation

/// `search-index.json`: the text of every public page (course landing pages and free lessons), for the
/// catalog's search box. Built only from public pages' results, so a paid lesson's text cannot get in;
/// the canary test scans this file with the rest of `public/`.
struct SearchIndex {
    static let fileName = "search-index.json"
    /// Characters of text kept per page: enough to find a lesson by what it teaches, small enough
    /// that a catalog with hundreds of free lessons loads its index quickly.
    static let textLimit = 4_000

    struct Entry: Encodable {
        /// URL, title, course title, text: short keys keep the file small.
        var u: String, t: String, c: String, x: String
    }

    private(set) var entries: [Entry] = []

    mutating func add(url: String, title: String, course: String, text: String) {
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        entries.append(Entry(u: url, t: title, c: course, x: String(flat.prefix(Self.textLimit))))
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(entries)
    }
}
