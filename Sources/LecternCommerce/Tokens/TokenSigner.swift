import Crypto
import Foundation

/// Signs access claims as a compact JWS (RFC 7515) with Ed25519 (`alg: EdDSA`, RFC 8037), so any JWT
/// library or an edge worker can verify a link with the public key from the JWKS alone.
public struct TokenSigner: Sendable {
    public let kid: String
    private let key: Curve25519.Signing.PrivateKey
    private let encodedHeader: String

    public init(kid: String, key: Curve25519.Signing.PrivateKey) {
        self.kid = kid
        self.key = key
        encodedHeader = Base64URL.encode(Data("{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"\(kid)\"}".utf8))
    }

    public init(keys: KeyStore) throws {
        let (kid, key) = try keys.signingKey()
        self.init(kid: kid, key: key)
    }

    public func sign(_ claims: AccessClaims) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let signingInput = encodedHeader + "." + Base64URL.encode(try encoder.encode(claims))
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }
}
