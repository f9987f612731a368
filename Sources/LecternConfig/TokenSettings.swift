import Foundation

/// `[tokens]` in `lectern.toml`: where signing keys live and how long a signed link lasts.
public struct TokenSettings: Sendable {
    /// Folder of Ed25519 key files, relative to the site root.
    public var keysDir = "keys"
    /// Lifetime of a signed link, in seconds.
    public var lifetime: Int = 30 * 86_400

    public init() {}

    init(_ table: SettingsTable) throws {
        try table.rejectUnknownKeys(allowed: ["keys_dir", "ttl"], section: "tokens")
        keysDir = try table.string("keys_dir") ?? keysDir
        if let ttl = try table.string("ttl") {
            guard let seconds = Duration.parseSeconds(ttl) else {
                throw table.error("ttl", "`tokens.ttl` must be a duration such as \"30d\", \"12h\" or \"90m\"")
            }
            lifetime = seconds
        }
    }
}

extension Duration {
    /// The longest duration accepted anywhere (100 years): link lifetimes are added to the current
    /// time, so an unbounded one would overflow.
    public static let maximumSeconds = 100 * 365 * 86_400

    /// Parses "30d", "12h", "90m", "45s" or a bare number of seconds; nil for anything else, zero,
    /// or more than `maximumSeconds`.
    public static func parseSeconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last, trimmed.utf8.count <= 20 else { return nil }
        let factors: [Character: Int] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        let factor = factors[unit] ?? 1
        let number = factors[unit] == nil ? Substring(trimmed) : trimmed.dropLast()
        guard let value = Int(number), value > 0 else { return nil }
        let (seconds, overflow) = value.multipliedReportingOverflow(by: factor)
        guard !overflow, seconds <= maximumSeconds else { return nil }
        return seconds
    }
}
