import Foundation
import LecternCore

/// One finding of `lectern check`: where, what kind, and how bad.
public struct CheckProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    /// A stable name for what is wrong (`broken-link`, …), printed and in `--json`. An open set: an error
    /// the loader or the renderer raises brings its own `LecternError.code`.
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let brokenLink = Kind(rawValue: "broken-link")
        public static let brokenAnchor = Kind(rawValue: "broken-anchor")
        public static let missingFile = Kind(rawValue: "missing-file")
        public static let draftLink = Kind(rawValue: "draft-link")
        public static let missingAltText = Kind(rawValue: "missing-alt-text")
        public static let duplicateTitle = Kind(rawValue: "duplicate-title")
        public static let paidTextQuoted = Kind(rawValue: "paid-text-quoted")
        public static let markdown = Kind(rawValue: "markdown")
        public static let template = Kind(rawValue: "template")
        public static let content = Kind(rawValue: "content")
        public static let config = Kind(rawValue: "config")
    }

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
            kind: kind ?? Kind(rawValue: error.code ?? error.step.rawValue.replacingOccurrences(of: " ", with: "-")),
            message: error.message)
    }

    /// `file:line: error: [kind] message`, the shape editors and CI logs link to.
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(severity.rawValue): [\(kind)] \(message)"
    }
}
