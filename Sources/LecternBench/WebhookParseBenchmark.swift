import Foundation
import LecternCommerce

/// `lectern bench webhook-parse`: a realistic Stripe `checkout.session.completed` event (911 bytes, the
/// fields Stripe sends) read by `ProviderParsers.stripe` on one core, the work a webhook costs before
/// the database. Kept because the exact-number reading (`JSONValue`) once made it 4× slower.
public enum WebhookParseBenchmark {
    public static func run(seconds: Double) throws -> Double {
        let session: [String: Any] = [
            "id": "cs_test_a1b2c3", "object": "checkout.session", "payment_status": "paid", "amount_total": 4900,
            "amount_subtotal": 4900, "currency": "usd", "payment_intent": "pi_123", "mode": "payment",
            "livemode": false,
            "status": "complete", "metadata": ["course": "practical-sqlite"], "client_reference_id": NSNull(),
            "created": 1_800_000_000, "expires_at": 1_800_086_400, "payment_method_types": ["card"],
            "customer_details": [
                "email": "ada@example.com", "name": "Ada Lovelace", "phone": NSNull(), "tax_exempt": "none",
                "address": [
                    "city": "London", "country": "GB", "line1": "1 Street", "line2": NSNull(),
                    "postal_code": "N1", "state": NSNull(),
                ],
            ],
            "total_details": ["amount_discount": 0, "amount_shipping": 0, "amount_tax": 0],
            "success_url": "https://example.com/access/claim?session_id={CHECKOUT_SESSION_ID}", "url": NSNull(),
        ]
        let event: [String: Any] = [
            "id": "evt_1", "object": "event", "type": "checkout.session.completed", "created": 1_800_000_000,
            "api_version": "2024-06-20", "livemode": false, "pending_webhooks": 1, "data": ["object": session],
        ]
        let body = try JSONSerialization.data(withJSONObject: event)
        let start = Date()
        var count = 0
        while Date().timeIntervalSince(start) < seconds {
            for _ in 0..<100 { _ = try ProviderParsers.stripe(body) }
            count += 100
        }
        return Double(count) / Date().timeIntervalSince(start)
    }
}
