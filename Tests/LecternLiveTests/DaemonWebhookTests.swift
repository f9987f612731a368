import Foundation
import LecternTestSupport
import Testing

@testable import LecternCommerce

/// lecternd over real loopback HTTP, a real SQLite file, a real SMTP server, and webhooks signed by the
/// providers' own libraries.
@Suite(.serialized) struct DaemonWebhookTests {
    @Test func stripePurchaseGrantsAndEmailsAVerifiableLinkOnce() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let payload = DaemonHarness.stripeCheckout(
            event: "evt_1", session: "cs_1", paymentIntent: "pi_1", email: " Ada@Example.com ")
        let first = try await daemon.postStripe(payload)
        #expect(first.status == 200 && first.json["result"] as? String == "granted")
        #expect(try daemon.count("buyers", where: "email = 'ada@example.com'") == 1)
        #expect(
            try daemon.count(
                "orders", where: "status = 'paid' AND amount = 4900 AND currency = 'USD' AND payment_ref = 'pi_1'") == 1
        )
        #expect(try daemon.count("grants", where: "revoked_at IS NULL AND product = 'practical-sqlite'") == 1)

        // The provider retries: same event id, same answer, nothing new.
        let again = try await daemon.postStripe(payload)
        #expect(again.status == 200 && again.json["result"] as? String == "duplicate")
        #expect(try daemon.count("webhook_events") == 1 && daemon.count("grants") == 1 && daemon.count("outbox") == 1)

        // The e-mail reaches the SMTP server, and its link verifies with the site's keys.
        let mail = try #require(try await daemon.receivedMail(count: 1).first)
        #expect(mail.contains("To: ada@example.com"))
        let link = try #require(mail.split(separator: "\n").first { $0.contains("/learn/practical-sqlite/?token=") })
        let token = String(link.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "=", maxSplits: 1)[1])
        let claims = try TokenVerifier(keyStore: KeyStore(directory: daemon.site.root.appendingPathComponent("keys")))
            .verify(token)
        #expect(claims.aud == "practical-sqlite" && claims.sub.hasPrefix("g_") && !claims.sub.contains("@"))
        // Recorded as sent once the SMTP server's answer is back (a moment after the message is in its mailbox).
        var sent = 0
        for _ in 0..<50 where sent == 0 {
            sent = try daemon.count("outbox", where: "sent_at IS NOT NULL")
            if sent == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(sent == 1)

        // Refund: the grant is revoked.
        let refund = try await daemon.postStripe(DaemonHarness.stripeRefund(event: "evt_2", paymentIntent: "pi_1"))
        #expect(refund.json["result"] as? String == "refunded")
        #expect(try daemon.count("grants", where: "revoked_at IS NOT NULL AND reason = 'refunded'") == 1)
        #expect(try daemon.count("orders", where: "status = 'refunded'") == 1)

        // Graceful shutdown on SIGTERM.
        #expect(daemon.stop() == 0)
    }

    @Test func refundBeforePaymentNeverGrants() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let refund = try await daemon.postStripe(DaemonHarness.stripeRefund(event: "evt_r", paymentIntent: "pi_9"))
        #expect(refund.status == 200 && refund.json["result"] as? String == "refunded-pending")
        let paid = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_p", session: "cs_9", paymentIntent: "pi_9"))
        #expect(paid.json["result"] as? String == "refunded-before-payment")
        #expect(try daemon.count("grants") == 0 && daemon.count("outbox") == 0)
        #expect(try daemon.count("orders", where: "status = 'refunded'") == 1 && daemon.count("pending_reversals") == 0)
        // A dispute on another payment after it was granted revokes that grant.
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_p2", session: "cs_10", paymentIntent: "pi_10"))
        let dispute = try await daemon.postStripe(
            DaemonHarness.stripeRefund(event: "evt_d", paymentIntent: "pi_10", type: "charge.dispute.created"))
        #expect(dispute.json["result"] as? String == "disputed")
        #expect(try daemon.count("grants", where: "revoked_at IS NOT NULL AND reason = 'disputed'") == 1)
    }

    @Test func badInputGetsItsStatusAProblemBodyAndWritesNothing() async throws {
        let daemon = try await DaemonHarness(extraConfig: "max_body_bytes = 4096")
        defer { _ = daemon.stop() }
        let good = DaemonHarness.stripeCheckout(event: "evt_x", session: "cs_x", paymentIntent: "pi_x")
        func expectProblem(_ reply: DaemonHarness.Reply, _ status: Int, _ code: String) {
            #expect(reply.status == status, "expected \(status), got \(reply.status)")
            #expect(reply.headers["content-type"] == "application/problem+json")
            #expect(reply.json["type"] as? String == "https://lectern.dev/problems/\(code)")
            #expect(reply.json["status"] as? Int == status && (reply.json["detail"] as? String)?.isEmpty == false)
        }
        expectProblem(try await daemon.postStripe(good, secret: "whsec_wrong"), 401, "bad-signature")
        expectProblem(try await daemon.request("POST", "/webhooks/stripe", body: good), 401, "bad-signature")
        expectProblem(
            try await daemon.postStripe(good, timestamp: Int(Date().timeIntervalSince1970) - 600), 400,
            "stale-timestamp")
        expectProblem(try await daemon.postStripe(Data(repeating: 0x20, count: 5_000)), 413, "too-large")
        expectProblem(try await daemon.postStripe(Data("{not json".utf8)), 400, "malformed")
        let unknown = DaemonHarness.stripeCheckout(
            event: "evt_u", session: "cs_u", paymentIntent: "pi_u", course: "no-such-course")
        expectProblem(try await daemon.postStripe(unknown), 422, "unknown-product")
        #expect(try daemon.count("webhook_events") == 0 && daemon.count("orders") == 0 && daemon.count("buyers") == 0)

        // A price mismatch is recorded and flagged, but grants nothing.
        let cheap = DaemonHarness.stripeCheckout(event: "evt_c", session: "cs_c", paymentIntent: "pi_c", amount: 100)
        let flagged = try await daemon.postStripe(cheap)
        #expect(flagged.status == 200 && flagged.json["result"] as? String == "flagged")
        #expect(
            try daemon.count("orders", where: "status = 'flagged' AND flag LIKE 'price mismatch%'") == 1
                && daemon.count("grants") == 0)

        // Unknown event types are acknowledged and recorded, with no effect.
        let other = DaemonHarness.json([
            "id": "evt_o", "type": "customer.created", "created": 1, "data": ["object": ["id": "cus_1"]],
        ])
        #expect(try await daemon.postStripe(other).json["result"] as? String == "ignored")
        #expect(try daemon.count("webhook_events", where: "result = 'ignored'") == 1)
    }

    @Test func standardWebhooksAndLemonSqueezy() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let payment = DaemonHarness.json([
            "type": "payment.succeeded",
            "data": [
                "payment_id": "pay_1", "order_id": "ord_1", "email": "bo@example.com", "product": "practical-sqlite",
                "amount": 4900, "currency": "usd",
            ],
        ])
        let reply = try await daemon.postStandard(payment, id: "msg_1")
        #expect(reply.status == 200 && reply.json["result"] as? String == "granted")
        #expect(try await daemon.postStandard(payment, id: "msg_1").json["result"] as? String == "duplicate")
        let stale = try await daemon.postStandard(
            payment, id: "msg_2", timestamp: Int(Date().timeIntervalSince1970) + 900)
        #expect(stale.status == 400)
        let refund = DaemonHarness.json(["type": "payment.refunded", "data": ["payment_id": "pay_1"]])
        #expect(try await daemon.postStandard(refund, id: "msg_3").json["result"] as? String == "refunded")

        let order = DaemonHarness.json([
            "meta": ["event_name": "order_created", "custom_data": ["course": "practical-sqlite"]],
            "data": [
                "id": "777", "type": "orders",
                "attributes": [
                    "status": "paid", "total": 4900, "currency": "USD", "user_email": "cy@example.com",
                ],
            ],
        ])
        #expect(try await daemon.postLemon(order).json["result"] as? String == "granted")
        #expect(try await daemon.postLemon(order).json["result"] as? String == "duplicate")
        let tampered = try await daemon.request(
            "POST", "/webhooks/lemonsqueezy", body: order, headers: ["X-Signature": String(repeating: "ab", count: 32)])
        #expect(tampered.status == 401)
        #expect(try daemon.count("grants", where: "revoked_at IS NULL") == 1)
        _ = try await daemon.receivedMail(count: 2)
    }

    @Test func claimSignsInOrAsksToCheckEmail() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_k", session: "cs_k", paymentIntent: "pi_k"))
        let claim = try await daemon.request("GET", "/access/claim?session_id=cs_k")
        // Signed in directly: cookies, and a redirect with no token in it (DaemonSecurityTests: only once).
        #expect(claim.status == 303 && claim.headers["location"] == "/learn/practical-sqlite/")
        #expect(claim.headers["set-cookie"]?.contains("lectern_access=v2.") == true)
        let waiting = try await daemon.request("GET", "/access/claim?session_id=cs_unknown")
        #expect(waiting.status == 202 && String(decoding: waiting.body, as: UTF8.self).contains("check your e-mail"))
        #expect(try await daemon.request("GET", "/access/claim").status == 400)
        let jwks = try await daemon.request("GET", "/.well-known/jwks.json")
        #expect(jwks.status == 200 && (jwks.json["keys"] as? [[String: Any]])?.count == 1)
        #expect(try await daemon.request("GET", "/healthz").json["status"] as? String == "ok")
    }
}
