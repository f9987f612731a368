/// The one error a creator (or an operator) sees: which step failed, where, why, and what to do.
///
/// Every failure that comes from input (a file, a setting, a request) is turned into this type at the
/// place that still knows the file and line, so messages read like a compiler's:
/// `content/intro/02-setup.md:4: error: front matter: `price` must be a decimal string such as "49.00"`.
public struct LecternError: Error, CustomStringConvertible, Sendable {
    /// The stage of work that failed; printed so a creator knows which part of the pipeline to look at.
    public enum Step: String, Sendable {
        case config, content
        case frontMatter = "front matter"
        case markdown, template, output, scaffold
        case keys, token, watermark, trace, store, webhook, mail
    }

    public let step: Step
    /// Path as the user would type it (relative to the site root where possible).
    public let file: String?
    public let line: Int?
    public let message: String
    public let hint: String?
    /// A stable name for the kind of problem (`broken-link`, `draft-link`, …) where tools list them
    /// (`lectern check --format json`); nil where the step says enough.
    public var code: ProblemKind?

    public init(_ step: Step, file: String? = nil, line: Int? = nil, _ message: String, hint: String? = nil) {
        self.step = step
        self.file = file
        self.line = line
        self.message = message
        self.hint = hint
    }

    /// `file:line: error: step: message` followed by an indented hint line.
    public var description: String {
        var location = ""
        if let file {
            location = file
            if let line { location += ":\(line)" }
            location += ": "
        }
        var text = "\(location)error: \(step.rawValue): \(message)"
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}
