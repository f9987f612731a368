import Foundation

/// A request path cut into safe segments, or refused. Everything the gate serves from disk goes
/// through here, so the rules that keep a request inside `public/` or the paid bundle live in one place.
///
/// Refused: anything that decodes to `..` or `.`, backslashes (a Windows separator some tools
/// normalise), NUL and other control characters, malformed percent-encoding, and dot-files (the
/// build's staging folders and editors' leftovers). Percent-decoding happens once, after the path
/// is split on `/`, so `%2F` can never create a separator and `%252e` stays a literal `%2e`.
public struct RequestPath: Sendable, Equatable {
    public var segments: [String]
    /// The path ended in `/` (a folder: serve its `index.html`).
    public var isFolder: Bool

    /// Longest path accepted, in bytes; longer ones are refused before any work.
    public static let maximumLength = 2_048

    public init(segments: [String], isFolder: Bool) {
        self.segments = segments
        self.isFolder = isFolder
    }

    public init?(_ rawPath: String) {
        guard rawPath.utf8.count <= Self.maximumLength, rawPath.hasPrefix("/") else { return nil }
        var parts = rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        isFolder = parts.last == "" || parts.isEmpty
        if parts.last == "" { parts = parts.dropLast() }
        var decoded: [String] = []
        for part in parts {
            guard !part.isEmpty, let segment = part.contains("%") ? part.removingPercentEncoding : String(part) else {
                return nil
            }
            guard !segment.hasPrefix("."), !segment.contains("/"), !segment.contains("\\"),
                !segment.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else { return nil }
            decoded.append(segment)
        }
        segments = decoded
    }

    /// `segments` joined below `root`; the caller still checks symlinks (see `StaticFiles`).
    public func file(in root: URL) -> URL {
        segments.reduce(root) { $0.appendingPathComponent($1) }
    }
}
