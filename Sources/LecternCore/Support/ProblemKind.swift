/// A stable name for a kind of content problem (`broken-link`, …): what `lectern check` prints and
/// `--format json` lists, and what a `LecternError` raised by the renderer carries as its `code`. An open
/// set: a problem without a name of its own is named by its step (`markdown`, `template`, …).
public struct ProblemKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let brokenLink = ProblemKind(rawValue: "broken-link")
    public static let brokenAnchor = ProblemKind(rawValue: "broken-anchor")
    public static let missingFile = ProblemKind(rawValue: "missing-file")
    public static let draftLink = ProblemKind(rawValue: "draft-link")
    public static let missingAltText = ProblemKind(rawValue: "missing-alt-text")
    public static let duplicateTitle = ProblemKind(rawValue: "duplicate-title")
    public static let paidTextQuoted = ProblemKind(rawValue: "paid-text-quoted")
    public static let markdown = ProblemKind(rawValue: "markdown")
    public static let template = ProblemKind(rawValue: "template")
    public static let content = ProblemKind(rawValue: "content")
    public static let config = ProblemKind(rawValue: "config")
    public static let missingString = ProblemKind(rawValue: "missing-string")
    public static let missingLayout = ProblemKind(rawValue: "missing-layout")
    /// `lectern check --production`: a value that works on a laptop and fails a live shop.
    public static let production = ProblemKind(rawValue: "production")
}
