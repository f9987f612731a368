import Crypto
import Foundation
import LecternTestSupport
import Testing

@testable import LecternCommerce

/// Interoperability with PyJWT (a real, independent JWT implementation): it must verify a Lectern
/// token from the JWKS alone, and Lectern must reject what PyJWT signs with another key.
@Suite struct PyJWTInteropTests {
    func python(_ script: String, input: String) throws -> (Int32, String) {
        let run = try runProgram("/usr/bin/env", ["python3", "-c", script], input: Data(input.utf8))
        return (run.status, (run.stdout + run.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func pyJWTVerifiesOurTokenWithTheJWKS() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = KeyStore(directory: dir)
        try store.generate()
        let token = try TokenSigner(keys: store).sign(
            AccessClaims(subject: "g_7", audience: "practical-sqlite", issuedAt: Date(), lifetime: 600))
        let script = """
            import json, sys, jwt
            jwks, token = sys.stdin.read().split("\\n")
            header = jwt.get_unverified_header(token)
            key = jwt.PyJWKSet.from_dict(json.loads(jwks))[header["kid"]]
            claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="practical-sqlite")
            print(claims["sub"], header["alg"])
            """
        let (status, output) = try python(script, input: try store.jwks() + "\n" + token)
        #expect(status == 0, "\(output)")
        #expect(output == "g_7 EdDSA")
    }

    @Test func weRejectWhatPyJWTSignsWithAnotherKeyAndAcceptOurs() throws {
        let ours = Curve25519.Signing.PrivateKey()
        let verifier = TokenVerifier(keys: ["k1": ours.publicKey])
        let script = """
            import sys, time, jwt
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            seed = bytes.fromhex(sys.stdin.read().strip())
            now = int(time.time())
            claims = {"sub": "g_9", "aud": "practical-sqlite", "iat": now, "exp": now + 600, "jti": "py-1"}
            for key in (Ed25519PrivateKey.generate(), Ed25519PrivateKey.from_private_bytes(seed)):
                print(jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "k1"}))
            """
        let seedHex = ours.rawRepresentation.map { String(format: "%02x", $0) }.joined()
        let (status, output) = try python(script, input: seedHex)
        #expect(status == 0, "\(output)")
        let tokens = output.split(separator: "\n").map(String.init)
        try #require(tokens.count == 2)
        #expect(throws: TokenError.badSignature) { _ = try verifier.verify(tokens[0]) }
        #expect(
            try verifier.verify(tokens[1]).sub == "g_9", "PyJWT's EdDSA tokens with our key are standard and accepted")
    }
}
