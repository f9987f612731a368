import Crypto
import Foundation
import LecternCommerce

/// `lectern bench tokens`: how many access tokens one core signs and verifies per second.
public enum TokenBenchmark {
    public struct Result: Sendable {
        public var signPerSecond: Double
        public var verifyPerSecond: Double
    }

    public static func run(seconds: Double) throws -> Result {
        let key = Curve25519.Signing.PrivateKey()
        let signer = TokenSigner(kid: "bench", key: key)
        let verifier = TokenVerifier(keys: ["bench": key.publicKey])
        let claims = AccessClaims(subject: "g_1042", audience: "practical-sqlite", issuedAt: Date(), lifetime: 86_400)
        var token = ""
        let signRate = try measure(seconds) { token = try signer.sign(claims) }
        let verifyRate = try measure(seconds) { _ = try verifier.verify(token) }
        return Result(signPerSecond: signRate, verifyPerSecond: verifyRate)
    }

    private static func measure(_ seconds: Double, _ body: () throws -> Void) throws -> Double {
        let start = Date()
        var count = 0
        while Date().timeIntervalSince(start) < seconds {
            for _ in 0..<100 { try body() }
            count += 100
        }
        return Double(count) / Date().timeIntervalSince(start)
    }
}
