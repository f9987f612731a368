import Crypto
import Foundation
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternCore

@Suite struct WebhookSignatureTests {
    let body = Data("{\"id\":\"evt_1\"}".utf8)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func stripeV1(_ secret: String, _ t: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(t).".utf8) + body, using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test func stripeAcceptsAnyMatchingV1DuringRotation() throws {
        let t = Int(now.timeIntervalSince1970)
        let header = "t=\(t),v1=\(stripeV1("whsec_old", t)),v1=\(stripeV1("whsec_new", t)),v0=deadbeef"
        try WebhookSignatures.verifyStripe(body: body, header: header, secret: "whsec_new", now: now)
        try WebhookSignatures.verifyStripe(body: body, header: header, secret: "whsec_old", now: now)
        #expect(throws: HTTPProblem.badSignature("no v1 signature matches")) {
            try WebhookSignatures.verifyStripe(body: body, header: header, secret: "whsec_other", now: now)
        }
        #expect(throws: HTTPProblem.badSignature("Stripe-Signature has no v1 signature")) {
            try WebhookSignatures.verifyStripe(body: body, header: "t=\(t),v0=ab", secret: "whsec_new", now: now)
        }
        // Right signature, old timestamp: stale, not "bad".
        let old = t - 301
        #expect(throws: HTTPProblem.staleTimestamp("signed at 1799999699, more than 300 s from now (1800000000)")) {
            try WebhookSignatures.verifyStripe(
                body: body, header: "t=\(old),v1=\(stripeV1("whsec_new", old))", secret: "whsec_new", now: now)
        }
    }

    @Test func standardWebhooksWithSeveralSignaturesAndABadKey() throws {
        let key = Data((0..<32).map { UInt8($0 * 3) })
        let secret = "whsec_" + key.base64EncodedString()
        let t = String(Int(now.timeIntervalSince1970))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("msg_1.\(t).".utf8) + body, using: SymmetricKey(data: key))
        let good = "v1," + Data(mac).base64EncodedString()
        try WebhookSignatures.verifyStandard(
            body: body, id: "msg_1", timestamp: t, signature: "v1,AAAA \(good)", secret: secret, now: now)
        #expect(throws: HTTPProblem.self) {
            try WebhookSignatures.verifyStandard(
                body: body, id: "msg_2", timestamp: t, signature: good, secret: secret, now: now)
        }
        #expect(throws: HTTPProblem.badSignature("missing webhook-id, webhook-timestamp or webhook-signature")) {
            try WebhookSignatures.verifyStandard(
                body: body, id: nil, timestamp: t, signature: good, secret: secret, now: now)
        }
        // The secret without its `=` padding, as some senders print it, is the same key.
        let unpadded = String(secret.drop { $0 == "=" }.reversed().drop { $0 == "=" }.reversed())
        #expect(unpadded.count < secret.count)
        try WebhookSignatures.verifyStandard(
            body: body, id: "msg_1", timestamp: t, signature: good, secret: unpadded, now: now)
        for bad in ["whsec_", "whsec_!!!!", "whsec_" + String(repeating: "A", count: 2_000)] {
            #expect(WebhookSignatures.standardKey(bad) == nil, "\(bad.prefix(20))")
        }
    }

    @Test func lemonSqueezyHex() throws {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data("s3cret".utf8)))
        let hex = mac.map { String(format: "%02x", $0) }.joined()
        try WebhookSignatures.verifyLemonSqueezy(body: body, signature: hex, secret: "s3cret")
        try WebhookSignatures.verifyLemonSqueezy(body: body, signature: hex.uppercased(), secret: "s3cret")
        #expect(throws: HTTPProblem.self) {
            try WebhookSignatures.verifyLemonSqueezy(body: body + Data(" ".utf8), signature: hex, secret: "s3cret")
        }
        #expect(throws: HTTPProblem.self) {
            try WebhookSignatures.verifyLemonSqueezy(body: body, signature: "zz", secret: "s3cret")
        }
    }
}
