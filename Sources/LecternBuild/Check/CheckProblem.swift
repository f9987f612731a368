import Foundation
import LecternCore

/// One finding of `lectern check`: where, what kind, and how bad.
public struct CheckProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    /// A stable name for what is wrong (`broken-link`, …), printed and in `--json`.
    public typealias Kind = ProblemKind

    public var file: String
    public var line: Int?
    public var kind: Kind
    public var message: String
    public var severity: Severity

    public init(file: String, line: Int?, kind: Kind, message: String, severity: Severity = .error) {
        self.file = file
        self.line = line
        self.kind = kind
        self.message = message
        self.severity = severity
    }

    init(_ error: LecternError, kind: Kind? = nil) {
        self.init(
            file: error.file ?? "", line: error.line,
            kind: kind ?? error.code ?? Kind(rawValue: error.step.rawValue.replacingOccurrences(of: " ", with: "-")),
            message: error.message)
    }

    /// `file:line: error: [kind] message`, the shape editors and CI logs link to.
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(severity.rawValue): [\(kind)] \(message)"
    }
}
