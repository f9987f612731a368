import Crypto
import Foundation
import LecternTestSupport
import Testing

@testable import LecternBench
@testable import LecternCommerce

@Suite struct TokenTests {
    let key = Curve25519.Signing.PrivateKey()
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    var signer: TokenSigner { TokenSigner(kid: "k1", key: key) }
    var verifier: TokenVerifier { TokenVerifier(keys: ["k1": key.publicKey]) }

    func claims(lifetime: Int = 3_600, at date: Date? = nil) -> AccessClaims {
        AccessClaims(
            subject: "g_42", audience: "practical-sqlite", issuedAt: date ?? now, lifetime: lifetime, id: "jti-1")
    }

    /// Builds a token with any header and payload, signed (or not) by `key`.
    func forge(
        header: String, payload: String, signWith signingKey: Curve25519.Signing.PrivateKey? = nil
    ) throws -> String {
        let input = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(Data(payload.utf8))
        let signature = try (signingKey ?? key).signature(for: Data(input.utf8))
        return input + "." + Base64URL.encode(signature)
    }

    @Test func roundTrip() throws {
        let token = try signer.sign(claims())
        #expect(try verifier.verify(token, now: now.addingTimeInterval(10)) == claims())
        let header = try #require(Base64URL.decode(token.split(separator: ".")[0]))
        #expect(String(decoding: header, as: UTF8.self) == "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"k1\"}")
        #expect(
            !String(decoding: try #require(Base64URL.decode(token.split(separator: ".")[1])), as: UTF8.self).contains(
                "@"))
    }

    @Test func eachRejectionReason() throws {
        let valid = try signer.sign(claims())
        let payload = String(decoding: try JSONEncoder().encode(claims()), as: UTF8.self)
        func reason(_ token: String, at date: Date? = nil) -> TokenError? {
            do {
                _ = try verifier.verify(token, now: date ?? now)
                return nil
            } catch { return error }
        }
        #expect(
            reason(valid, at: now.addingTimeInterval(3_600 + 61))
                == .expired(at: Int(now.timeIntervalSince1970) + 3_600))
        #expect(reason(valid, at: now.addingTimeInterval(3_600 + 30)) == nil, "within the leeway")
        #expect(reason(valid, at: now.addingTimeInterval(-120)) == .notYetValid(until: Int(now.timeIntervalSince1970)))
        #expect(reason(String(repeating: "a", count: 3_000)) == .tooLarge(3_000))
        #expect(reason("abc.def") == .malformed("expected three dot-separated parts, got 2"))
        #expect(reason("a*b.c.d") == .malformed("a part is not base64url"))

        let none =
            Base64URL.encode(Data("{\"alg\":\"none\",\"kid\":\"k1\"}".utf8)) + "."
            + Base64URL.encode(Data(payload.utf8)) + "."
        #expect(reason(none) == .unsupportedAlgorithm("none"))
        #expect(
            reason(try forge(header: "{\"alg\":\"HS256\",\"kid\":\"k1\"}", payload: payload))
                == .unsupportedAlgorithm("HS256"))
        #expect(reason(try forge(header: "{\"alg\":\"EdDSA\",\"kid\":\"k9\"}", payload: payload)) == .unknownKey("k9"))
        #expect(reason(try forge(header: "{\"alg\":\"EdDSA\"}", payload: payload)) == .malformed("header has no `kid`"))
        #expect(
            reason(try forge(header: "{\"alg\":\"EdDSA\",\"kid\":\"k1\"}", payload: payload, signWith: .init()))
                == .badSignature)

        // Change one claim but keep the signature: the signature no longer matches.
        let parts = valid.split(separator: ".")
        let otherCourse = payload.replacingOccurrences(of: "practical-sqlite", with: "other-course")
        #expect(reason("\(parts[0]).\(Base64URL.encode(Data(otherCourse.utf8))).\(parts[2])") == .badSignature)
        #expect(
            reason(try forge(header: "{\"alg\":\"EdDSA\",\"kid\":\"k1\"}", payload: "{\"sub\":\"x\"}"))
                == .malformed("claims must hold sub, aud, iat, exp and jti"))
    }

    @Test func rotationRemovalAndPermissions() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = KeyStore(directory: dir)
        let first = try store.generate()
        let oldToken = try TokenSigner(keys: store).sign(claims(at: Date()))
        let second = try store.generate()
        #expect(first != second && store.activeKid() == second)
        let newToken = try TokenSigner(keys: store).sign(claims(at: Date()))
        #expect(
            newToken.hasPrefix(Base64URL.encode(Data("{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"\(second)\"}".utf8)))
        )
        #expect(try TokenVerifier(keyStore: store).verify(oldToken).sub == "g_42", "old key still verifies")
        #expect(try TokenVerifier(keyStore: store).verify(newToken).sub == "g_42")

        #expect(lecternError { try store.remove(kid: second) }?.message == "refusing to remove the active signing key")
        try store.remove(kid: first)
        #expect(throws: TokenError.unknownKey(first)) { _ = try TokenVerifier(keyStore: store).verify(oldToken) }

        let secretFile = dir.appendingPathComponent("\(second).private").path
        #expect(chmod(secretFile, 0o644) == 0)
        let refused = lecternError { _ = try store.signingKey() }
        #expect(
            refused?.message.contains("readable by other users") == true && refused?.hint?.contains("chmod 600") == true
        )
        #expect(chmod(dir.appendingPathComponent("watermark.secret").path, 0o640) == 0)
        #expect(lecternError { _ = try store.watermarkSecret() }?.hint?.contains("chmod 600") == true)
    }

    @Test func jwksListsEveryVerificationKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = KeyStore(directory: dir)
        let a = try store.generate()
        let b = try store.generate()
        let json = try JSONSerialization.jsonObject(with: Data(try store.jwks().utf8)) as? [String: [[String: String]]]
        let keys = try #require(json?["keys"])
        #expect(Set(keys.compactMap { $0["kid"] }) == [a, b])
        #expect(
            keys.allSatisfy { $0["kty"] == "OKP" && $0["crv"] == "Ed25519" && $0["alg"] == "EdDSA" && $0["d"] == nil })
    }
}

@Suite struct Base64URLTests {
    @Test func matchesFoundationAndIsStrict() {
        var rng = SplitMix64(seed: 9)
        for length in 0..<70 {
            let bytes = Data((0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            let reference = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == reference)
            #expect(Base64URL.decode(reference) == bytes)
        }
        #expect(Base64URL.decode("YQ==") == nil, "padding is not base64url")
        #expect(Base64URL.decode("Y+E") == nil && Base64URL.decode("Y E") == nil && Base64URL.decode("A") == nil)
        #expect(Base64URL.decode("YR") == nil, "non-zero trailing bits")
        #expect(Base64URL.decode("YQ") == Data("a".utf8))
    }
}
