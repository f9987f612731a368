import LecternCore

/// toml++ (inside TOMLKit) aborts the process, by an assertion, on a `}` where an array expects a value
/// (`tags = [}`, `a = [1, }`): found by fuzzing front matter. Outside strings and comments, a `}` whose
/// innermost open bracket is a `[` is never valid TOML, so refusing it here, with its line, turns the abort
/// into the error any other typo gets and refuses nothing valid.
enum TOMLBracketGuard {
    static func check(_ text: String, file: String, step: LecternError.Step, firstLine: Int) throws {
        let scalars = Array(text.unicodeScalars)
        var open: [Unicode.Scalar] = []
        var line = 0
        var index = 0
        func starts(_ token: String) -> Bool {
            let wanted = Array(token.unicodeScalars)
            return index + wanted.count <= scalars.count && Array(scalars[index..<(index + wanted.count)]) == wanted
        }
        /// Moves past a string that starts at `index` (its quotes included), counting its line breaks.
        func skipString() {
            let multiline = starts("\"\"\"") || starts("'''")
            let quote = scalars[index]
            let literal = quote == "'"
            index += multiline ? 3 : 1
            while index < scalars.count {
                let c = scalars[index]
                if c == "\n" {
                    // A one-line string cut short: the parser reports it; the main loop counts this line break.
                    if !multiline { return }
                    line += 1
                }
                if !literal && c == "\\" {
                    // A backslash at a line's end (a multi-line string's line continuation) still ends the line.
                    if index + 1 < scalars.count && scalars[index + 1] == "\n" { line += 1 }
                    index += 2
                    continue
                }
                if c == quote && (!multiline || starts(String(repeating: String(quote), count: 3))) {
                    index += multiline ? 3 : 1
                    // `""""` ends a multi-line string with a quote inside it.
                    while multiline && index < scalars.count && scalars[index] == quote { index += 1 }
                    return
                }
                index += 1
            }
        }
        while index < scalars.count {
            let c = scalars[index]
            switch c {
            case "\"", "'":
                skipString()
                continue
            case "#":
                while index < scalars.count && scalars[index] != "\n" { index += 1 }
                continue
            case "\n":
                line += 1
            case "[", "{":
                open.append(c)
            case "]":
                if open.last == "[" { open.removeLast() }
            case "}":
                if open.last == "[" {
                    throw LecternError(
                        step, file: file, line: line + firstLine, "invalid TOML: `}` inside an array",
                        hint: "an array is [value, value]; an inline table inside it is { key = value }")
                }
                if open.last == "{" { open.removeLast() }
            default:
                break
            }
            index += 1
        }
    }
}
