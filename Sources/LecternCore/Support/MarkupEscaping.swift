/// Escaping for text placed in HTML or XML, in element content or a quoted attribute value.
public enum MarkupEscaping {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for char in text {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(char)
            }
        }
        return out
    }

    /// `escape` undone: an attribute value Lectern wrote (cmark-gfm's or `escape`'s five references) as text.
    public static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return ByteSearch.Replacer([
            ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'"),
        ])(text)
    }
}
