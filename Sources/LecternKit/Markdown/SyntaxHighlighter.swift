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
        let sql = Language(keywords: ["select", "from", "where", "insert", "into", "values", "update", "set", "delete", "create", "table",
                                      "index", "on", "primary", "key", "not", "null", "unique", "references", "check", "default",
                                      "begin", "commit", "rollback", "immediate", "pragma", "and", "or", "as", "join", "left", "inner",
                                      "group", "by", "order", "limit", "strict", "integer", "text", "real", "blob", "explain", "query",
                                      "plan", "vacuum", "drop", "alter", "if", "exists", "transaction", "with", "returning", "conflict", "do",
                                      "nothing", "count", "distinct", "having", "in", "is", "like", "case", "when", "then", "else", "end"],
                           caseInsensitive: true, lineComments: ["--"], blockComment: ("/*", "*/"))
        let shell = Language(keywords: ["if", "then", "else", "fi", "for", "do", "done", "while", "case", "esac", "function", "export",
                                        "echo", "cd", "set", "exit", "return", "local", "sudo"], lineComments: ["#"])
        let swift = Language(keywords: ["let", "var", "func", "struct", "class", "enum", "protocol", "extension", "import", "return", "if",
                                        "else", "guard", "for", "in", "while", "switch", "case", "default", "try", "throw", "throws",
                                        "async", "await", "public", "private", "static", "self", "nil", "true", "false", "init"],
                             lineComments: ["//"], blockComment: ("/*", "*/"), quotes: ["\""])
        let js = Language(keywords: ["const", "let", "var", "function", "return", "if", "else", "for", "of", "in", "while", "class",
                                     "new", "import", "export", "from", "async", "await", "try", "catch", "throw", "null", "undefined",
                                     "true", "false", "this", "typeof"], lineComments: ["//"], blockComment: ("/*", "*/"), quotes: ["\"", "'", "`"])
        let python = Language(keywords: ["def", "class", "return", "if", "elif", "else", "for", "in", "while", "import", "from", "as",
                                         "with", "try", "except", "finally", "raise", "None", "True", "False", "and", "or", "not",
                                         "lambda", "yield", "async", "await", "pass"], lineComments: ["#"])
        let json = Language(keywords: ["true", "false", "null"], lineComments: [], quotes: ["\""])
        return ["sql": sql, "sqlite": sql, "sh": shell, "bash": shell, "shell": shell, "console": shell, "swift": swift,
                "js": js, "javascript": js, "ts": js, "typescript": js, "python": python, "py": python, "json": json]
    }()

    /// Rewrites every `<pre><code class="language-X">…</code></pre>` cmark-gfm produced.
    static func highlight(_ html: String) -> String {
        let open = "<pre><code class=\"language-"
        guard html.contains(open) else { return html }
        var out = ""
        var rest = html[...]
        while let start = rest.range(of: open) {
            out += rest[..<start.lowerBound]
            let afterOpen = rest[start.upperBound...]
            guard let quote = afterOpen.firstIndex(of: "\""), let tagEnd = afterOpen[quote...].firstIndex(of: ">"),
                  let close = afterOpen.range(of: "</code></pre>") else { out += rest[start.lowerBound...]; return out }
            let name = String(afterOpen[..<quote]).lowercased()
            let code = afterOpen[afterOpen.index(after: tagEnd)..<close.lowerBound]
            out += rest[start.lowerBound...tagEnd]
            if let language = languages[name] {
                out += tokens(unescape(String(code)), language)
            } else {
                out += code
            }
            out += "</code></pre>"
            rest = afterOpen[close.upperBound...]
        }
        return out + rest
    }

    static func tokens(_ code: String, _ language: Language) -> String {
        let chars = Array(code)
        var out = "", index = 0
        func span(_ kind: String, _ text: String) { out += "<span class=\"tok-\(kind)\">\(MarkupEscaping.escape(text))</span>" }
        func starts(_ prefix: String, at i: Int) -> Bool {
            let p = Array(prefix)
            return i + p.count <= chars.count && Array(chars[i..<(i + p.count)]) == p
        }
        while index < chars.count {
            let c = chars[index]
            if language.lineComments.contains(where: { starts($0, at: index) }) {
                let end = chars[index...].firstIndex(of: "\n") ?? chars.count
                span("com", String(chars[index..<end])); index = end
            } else if let block = language.blockComment, starts(block.open, at: index) {
                var end = index + block.open.count
                while end < chars.count && !starts(block.close, at: end) { end += 1 }
                end = min(chars.count, end + block.close.count)
                span("com", String(chars[index..<end])); index = end
            } else if language.quotes.contains(c) {
                var end = index + 1
                while end < chars.count && chars[end] != c && chars[end] != "\n" { end += chars[end] == "\\" ? 2 : 1 }
                end = min(chars.count, end + 1)
                span("str", String(chars[index..<end])); index = end
            } else if c.isNumber && (index == 0 || !(chars[index - 1].isLetter || chars[index - 1] == "_")) {
                var end = index
                while end < chars.count && (chars[end].isNumber || chars[end] == "." || chars[end] == "_") { end += 1 }
                span("num", String(chars[index..<end])); index = end
            } else if c.isLetter || c == "_" {
                var end = index
                while end < chars.count && (chars[end].isLetter || chars[end].isNumber || chars[end] == "_") { end += 1 }
                let word = String(chars[index..<end])
                if language.keywords.contains(language.caseInsensitive ? word.lowercased() : word) { span("kw", word) }
                else { out += MarkupEscaping.escape(word) }
                index = end
            } else {
                out += MarkupEscaping.escape(String(c)); index += 1
            }
        }
        return out
    }

    /// cmark escapes `&`, `<`, `>` and `"` in code; undone before lexing, redone on output.
    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
