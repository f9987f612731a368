import Crypto
import Foundation
import LecternCore

/// Verifies Lectern access tokens strictly: EdDSA only (so `alg: none` and HMAC-confusion tricks
/// fail), a known `kid`, a size bound checked before any decoding, and time claims within a small
/// leeway. Signature checking is swift-crypto's (constant-time).
public struct TokenVerifier: Sendable {
    /// Bytes. Real tokens are ~300; the bound stops decoding work on hostile input.
    public static let maximumSize = 2_048
    /// Seconds of clock skew tolerated between signer and verifier.
    public static let leeway = 60

    /// Seconds since 1970 a time claim may hold: 1970 to the end of year 9999.
    public static let validTimes = Date.validUnixTimes

    private let key: @Sendable (String) -> Curve25519.Signing.PublicKey?

    public init(keys: [String: Curve25519.Signing.PublicKey]) { key = { keys[$0] } }

    /// The keys in the folder now (the CLI: one command, one read).
    public init(keyStore: KeyStore) throws { self.init(keys: try keyStore.verificationKeys()) }

    /// The keys in the folder as they change (the daemon).
    public init(liveKeys: LiveKeys) { key = { liveKeys.key($0) } }

    public func verify(_ token: String, now: Date = Date()) throws(TokenError) -> AccessClaims {
        let size = token.utf8.count
        guard size <= Self.maximumSize else { throw .tooLarge(size) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("expected three dot-separated parts, got \(parts.count)") }
        guard let headerData = Base64URL.decode(parts[0]), let payloadData = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { throw .malformed("a part is not base64url") }

        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw .malformed("header is not a JSON object")
        }
        guard let alg = header["alg"] as? String else { throw .malformed("header has no `alg`") }
        guard alg == "EdDSA" else { throw .unsupportedAlgorithm(alg) }
        if header["crit"] != nil { throw .malformed("critical header extensions are not supported") }
        if let typ = header["typ"], (typ as? String)?.uppercased() != "JWT" { throw .malformed("`typ` must be JWT") }
        guard let kid = header["kid"] as? String else { throw .malformed("header has no `kid`") }
        guard let key = key(kid) else { throw .unknownKey(kid) }

        let signingInput = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard signature.count == 64, key.isValidSignature(signature, for: signingInput) else { throw .badSignature }

        let claims: AccessClaims
        do { claims = try JSONDecoder().decode(AccessClaims.self, from: payloadData) } catch {
            throw .malformed("claims must hold sub, aud, iat, exp and jti")
        }
        // Claims come from the token: any Int. Out of range they are refused before arithmetic, so
        // `exp + leeway` cannot overflow (it trapped for exp = Int.max and ended the daemon).
        for (name, value) in [("iat", claims.iat), ("exp", claims.exp), ("nbf", claims.nbf ?? claims.iat)]
        where !Self.validTimes.contains(value) {
            throw .malformed("`\(name)` is not a time between 1970 and 9999")
        }
        let current = Int(now.timeIntervalSince1970)
        guard claims.exp + Self.leeway > current else { throw .expired(at: claims.exp) }
        let notBefore = max(claims.iat, claims.nbf ?? claims.iat)
        guard notBefore - Self.leeway <= current else { throw .notYetValid(until: notBefore) }
        guard !claims.sub.isEmpty, !claims.aud.isEmpty, !claims.jti.isEmpty else {
            throw .malformed("empty sub, aud or jti")
        }
        return claims
    }
}
