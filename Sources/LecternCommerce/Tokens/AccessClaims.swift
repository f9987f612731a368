import Foundation

/// What a signed link grants: who (`sub`, an opaque grant/buyer id — never an e-mail), to what
/// (`aud`, a course slug or a product id), and for how long.
public struct AccessClaims: Codable, Sendable, Equatable {
    public var sub: String
    public var aud: String
    /// Seconds since 1970 (whole seconds: some JWT libraries reject fractions).
    public var iat: Int
    public var exp: Int
    public var nbf: Int?
    public var jti: String

    public init(
        subject: String, audience: String, issuedAt: Date, lifetime: Int, id: String = UUID().uuidString.lowercased()
    ) {
        sub = subject
        aud = audience
        iat = Int(issuedAt.timeIntervalSince1970)
        exp = iat + lifetime
        nbf = nil
        jti = id
    }
}

/// Why a token was refused. Each case is a distinct, tested rejection reason.
public enum TokenError: Error, Equatable, CustomStringConvertible, Sendable {
    case malformed(String)
    case tooLarge(Int)
    case unsupportedAlgorithm(String)
    case unknownKey(String)
    case badSignature
    case expired(at: Int)
    case notYetValid(until: Int)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed token: \(why)"
        case .tooLarge(let size): return "token too large (\(size) bytes, limit \(TokenVerifier.maximumSize))"
        case .unsupportedAlgorithm(let alg): return "unsupported algorithm `\(alg)` (only EdDSA is accepted)"
        case .unknownKey(let kid): return "unknown key id `\(kid)` (removed or never ours)"
        case .badSignature: return "bad signature"
        case .expired(let at): return "expired at \(Self.format(at))"
        case .notYetValid(let until): return "not yet valid (until \(Self.format(until)))"
        }
    }

    static func format(_ seconds: Int) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
