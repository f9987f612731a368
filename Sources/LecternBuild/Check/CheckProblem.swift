import Foundation
import LecternCore

/// One finding of `lectern check`: where, what kind, and how bad.
public struct CheckProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var file: String
    public var line: Int?
    /// Stable name: `broken-link`, `broken-anchor`, `missing-file`, `draft-link`, `missing-alt-text`,
    /// `duplicate-title`, `paid-text-quoted`, `content`, `config`.
    public var kind: String
    public var message: String
    public var severity: Severity

    public init(file: String, line: Int?, kind: String, message: String, severity: Severity = .error) {
        self.file = file
        self.line = line
        self.kind = kind
        self.message = message
        self.severity = severity
    }

    init(_ error: LecternError, kind: String? = nil) {
        self.init(
            file: error.file ?? "", line: error.line,
            kind: kind ?? error.code ?? error.step.rawValue.replacingOccurrences(of: " ", with: "-"),
            message: error.message)
    }

    /// `file:line: error: [kind] message`, the shape editors and CI logs link to.
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(severity.rawValue): [\(kind)] \(message)"
    }
}
