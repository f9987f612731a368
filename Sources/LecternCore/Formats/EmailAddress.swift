import Foundation

/// A buyer's e-mail address, checked once where it enters (a webhook, the re-send form, the CLI) and
/// carried as this type afterwards, so nothing downstream — curl's config, a mail header, the
/// database — ever sees a string that was not checked.
///
/// Accepted: `local@domain`. The local part is RFC 5322 `atext` and dots, anywhere: some Japanese
/// carriers issued addresses such as `taro..yamada.@docomo.ne.jp` that payment providers accept, so a
/// strict dot-atom would refuse a real buyer. UTF-8 letters, marks and digits are allowed as RFC 6531
/// allows (`张伟@例子.中国`), with the zero-width joiner and non-joiner that Persian and Indic names
/// need. The domain is dot-separated labels of letters, digits and hyphens, in any script.
/// Refused: quoted local parts, comments, IP literals, whitespace, control and other format
/// characters (bidi overrides only deceive), and `"`, `\`, `<`, `>`, `,`, `;`, `:`, `(`, `)`, `[`, `]`,
/// which mean something to a config file or a header. An injection always needs one of those.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// Normalized: trimmed and lower-cased, as the store keys buyers.
    public let value: String

    public static let maximumLength = 254

    /// The form addresses are compared and stored in: trimmed, lower case.
    public static func normalize(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
    static let maximumLocalLength = 64

    public init?(_ text: String) {
        let normalized = Self.normalize(text)
        guard !normalized.isEmpty, normalized.utf8.count <= Self.maximumLength else { return nil }
        let halves = normalized.split(separator: "@", omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        let local = halves[0]
        let domain = halves[1]
        guard !local.isEmpty, local.utf8.count <= Self.maximumLocalLength,
            local.unicodeScalars.allSatisfy(Self.isLocalPartScalar), local.contains(where: { $0 != "." }),
            Self.isDomain(domain)
        else { return nil }
        value = normalized
    }

    public var description: String { value }

    /// RFC 5322 atext outside ASCII letters and digits, and the dot.
    private static let atextSymbols = Set("!#$%&'*+-/=?^_`{|}~.".unicodeScalars)

    private static func isLocalPartScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return isASCIILetterOrDigit(scalar) || atextSymbols.contains(scalar)
        }
        return isPrintableNonASCII(scalar) || scalar == "\u{200C}" || scalar == "\u{200D}"
    }

    private static func isDomain(_ text: Substring) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, text.utf8.count <= 253 else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { scalar in
                    scalar.isASCII
                        ? (isASCIILetterOrDigit(scalar) || scalar == "-")
                        : isPrintableNonASCII(scalar)
                }
        }
    }

    /// By value: Unicode property lookups for every ASCII character were a visible share of a webhook's CPU.
    private static func isASCIILetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    /// Letters, marks and digits of any script; never spaces, separators, controls or format characters
    /// (the local part adds back the two joiners that names need).
    private static func isPrintableNonASCII(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
