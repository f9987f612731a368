import Foundation
import LecternCore

/// Syntax highlighting at build time: code blocks tagged with a language (```sql) get `<span>`s for
/// keywords, strings, comments and numbers, styled by the theme. No script runs in the reader's
/// browser and no external highlighter is fetched. Unknown languages are left as they are.
///
/// Deliberately a small lexer, not a grammar: it never changes the text (only wraps runs of it), so
/// copying a code sample gives exactly what the creator wrote.
struct SyntaxHighlighter {
    struct Language {
        var keywords: Set<String>
        var caseInsensitive = false
        var lineComments: [String]
        var blockComment: (open: String, close: String)?
        var quotes: Set<Character> = ["\"", "'"]
    }

    static let languages: [String: Language] = {
        let sql = Language(
            keywords: [
                "select", "from", "where", "insert", "into", "values", "update", "set", "delete", "create", "table",
                "index", "on", "primary", "key", "not", "null", "unique", "references", "check", "default",
                "begin", "commit", "rollback", "immediate", "pragma", "and", "or", "as", "join", "left", "inner",
                "group", "by", "order", "limit", "strict", "integer", "text", "real", "blob", "explain", "query",
                "plan", "vacuum", "drop", "alter", "if", "exists", "transaction", "with", "returning", "conflict", "do",
                "nothing", "count", "distinct", "having", "in", "is", "like", "case", "when", "then", "else", "end",
            ],
            caseInsensitive: true, lineComments: ["--"], blockComment: ("/*", "*/"))
        let shell = Language(
            keywords: [
                "if", "then", "else", "fi", "for", "do", "done", "while", "case", "esac", "function", "export",
                "echo", "cd", "set", "exit", "return", "local", "sudo",
            ], lineComments: ["#"])
        let swift = Language(
            keywords: [
                "let", "var", "func", "struct", "class", "enum", "protocol", "extension", "import", "return", "if",
                "else", "guard", "for", "in", "while", "switch", "case", "default", "try", "throw", "throws",
                "async", "await", "public", "private", "static", "self", "nil", "true", "false", "init",
            ],
            lineComments: ["//"], blockComment: ("/*", "*/"), quotes: ["\""])
        let js = Language(
            keywords: [
                "const", "let", "var", "function", "return", "if", "else", "for", "of", "in", "while", "class",
                "new", "import", "export", "from", "async", "await", "try", "catch", "throw", "null", "undefined",
                "true", "false", "this", "typeof",
            ], lineComments: ["//"], blockComment: ("/*", "*/"), quotes: ["\"", "'", "`"])
        let python = Language(
            keywords: [
                "def", "class", "return", "if", "elif", "else", "for", "in", "while", "import", "from", "as",
                "with", "try", "except", "finally", "raise", "None", "True", "False", "and", "or", "not",
                "lambda", "yield", "async", "await", "pass",
            ], lineComments: ["#"])
        let json = Language(keywords: ["true", "false", "null"], lineComments: [], quotes: ["\""])
        return [
            "sql": sql, "sqlite": sql, "sh": shell, "bash": shell, "shell": shell, "console": shell, "swift": swift,
            "js": js, "javascript": js, "ts": js, "typescript": js, "python": python, "py": python, "json": json,
        ]
    }()

    /// Rewrites every `<pre><code class="language-X">…</code></pre>` cmark-gfm produced. One pass over
    /// the bytes (a Foundation `range(of:)` per block made a long document quadratic).
    static func highlight(_ html: String) -> String {
        String(decoding: highlight(Array(html.utf8)), as: UTF8.self)
    }

    static func highlight(_ bytes: [UInt8]) -> [UInt8] {
        guard let first = ByteSearch.find(openTag, in: bytes, from: 0) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 4)
        var cursor = 0
        var next: Int? = first
        while let start = next {
            let nameStart = start + openTag.count
            guard let quote = bytes[nameStart...].firstIndex(of: UInt8(ascii: "\"")),
                let tagEnd = bytes[quote...].firstIndex(of: UInt8(ascii: ">")),
                let close = ByteSearch.find(closeTag, in: bytes, from: tagEnd)
            else { break }
            out.append(contentsOf: bytes[cursor...tagEnd])
            let name = String(decoding: bytes[nameStart..<quote], as: UTF8.self).lowercased()
            let code = bytes[(tagEnd + 1)..<close]
            if let language = languages[name] {
                out.append(contentsOf: tokens(unescape(String(decoding: code, as: UTF8.self)), language).utf8)
            } else {
                out.append(contentsOf: code)
            }
            cursor = close
            next = ByteSearch.find(openTag, in: bytes, from: close)
        }
        out.append(contentsOf: bytes[cursor...])
        return out
    }

    private static let openTag = Array("<pre><code class=\"language-".utf8)
    private static let closeTag = Array("</code></pre>".utf8)

    /// Lexes UTF-8 bytes: every delimiter the languages use is ASCII, and bytes ≥ 0x80 count as
    /// letters, so non-ASCII identifiers and text pass through whole.
    static func tokens(_ code: String, _ language: Language) -> String {
        let chars = Array(code.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(chars.count * 2)
        var index = 0
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || b == 0x5F || b >= 0x80 }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        func escaped(_ slice: ArraySlice<UInt8>) {
            for b in slice {
                switch b {
                case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
                case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
                default: out.append(b)
                }
            }
        }
        func span(_ kind: String, _ range: Range<Int>) {
            out.append(contentsOf: "<span class=\"tok-\(kind)\">".utf8)
            escaped(chars[range])
            out.append(contentsOf: "</span>".utf8)
        }
        func starts(_ prefix: [UInt8], at i: Int) -> Bool {
            i + prefix.count <= chars.count && chars[i..<(i + prefix.count)].elementsEqual(prefix)
        }
        let lineComments = language.lineComments.map { Array($0.utf8) }
        let block = language.blockComment.map { (Array($0.open.utf8), Array($0.close.utf8)) }
        let quotes = Set(language.quotes.compactMap(\.asciiValue))
        while index < chars.count {
            let c = chars[index]
            if lineComments.contains(where: { starts($0, at: index) }) {
                let end = chars[index...].firstIndex(of: UInt8(ascii: "\n")) ?? chars.count
                span("com", index..<end)
                index = end
            } else if let (open, close) = block, starts(open, at: index) {
                var end = index + open.count
                while end < chars.count && !starts(close, at: end) { end += 1 }
                end = min(chars.count, end + close.count)
                span("com", index..<end)
                index = end
            } else if quotes.contains(c) {
                var end = index + 1
                while end < chars.count && chars[end] != c && chars[end] != UInt8(ascii: "\n") {
                    end += chars[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                end = min(chars.count, end + 1)
                span("str", index..<end)
                index = end
            } else if isDigit(c) && (index == 0 || !isLetter(chars[index - 1])) {
                var end = index
                while end < chars.count
                    && (isDigit(chars[end]) || chars[end] == UInt8(ascii: ".") || chars[end] == UInt8(ascii: "_"))
                { end += 1 }
                span("num", index..<end)
                index = end
            } else if isLetter(c) {
                var end = index
                while end < chars.count && (isLetter(chars[end]) || isDigit(chars[end])) { end += 1 }
                let word = String(decoding: chars[index..<end], as: UTF8.self)
                if language.keywords.contains(language.caseInsensitive ? word.lowercased() : word) {
                    span("kw", index..<end)
                } else {
                    escaped(chars[index..<end])
                }
                index = end
            } else {
                escaped(chars[index..<(index + 1)])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// cmark escapes `&`, `<`, `>` and `"` in code; undone before lexing, redone on output.
    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
