import Foundation
import LecternTestSupport
import Testing

/// Real Stripe checkouts pass (issue 13, the money rules begun): a promotion code, tax added on top, a 100 %
/// coupon grant; a list price that is not the course's is flagged, listed by `lectern orders --flagged` and
/// granted by `lectern approve`; a partial refund keeps access and the rest of it withdraws access. Sessions and charges shaped as Stripe documents them, signed by `stripe`.
@Suite(.serialized) struct DaemonStripeMoneyTests {
    @Test func discountsTaxAndFreeCouponsGrantAPartialRefundKeepsAccess() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        func checkout(
            _ id: String, _ email: String, amount: Int, subtotal: Int, discount: Int = 0, tax: Int = 0,
            status: String = "paid"
        ) async throws -> String? {
            try await daemon.postStripe(
                DaemonHarness.stripeCheckout(
                    event: "evt_\(id)", session: "cs_\(id)", paymentIntent: "pi_\(id)", email: email, amount: amount,
                    subtotal: subtotal, discount: discount, tax: tax, paymentStatus: status)
            ).json["result"] as? String
        }
        // 49.00 with a 10.00 promotion code: 39.00 paid; with 20 % tax on top: 58.80; a 100 % coupon: nothing due.
        #expect(
            try await checkout("promo", "a@example.com", amount: 3_900, subtotal: 4_900, discount: 1_000) == "granted")
        #expect(try await checkout("tax", "b@example.com", amount: 5_880, subtotal: 4_900, tax: 980) == "granted")
        #expect(
            try await checkout(
                "free", "c@example.com", amount: 0, subtotal: 4_900, discount: 4_900, status: "no_payment_required")
                == "granted")
        // The attack the price check exists for: a course's id on a cheaper list price is flagged, no access.
        #expect(try await checkout("cheap", "d@example.com", amount: 900, subtotal: 900) == "flagged")
        #expect(try daemon.count("grants") == 3 && daemon.count("orders", where: "status = 'flagged'") == 1)
        #expect(
            try daemon.count(
                "orders", where: "provider_order_id = 'cs_promo' AND amount = 3900 AND discount_amount = 1000")
                == 1)
        #expect(
            try daemon.count("orders", where: "provider_order_id = 'cs_tax' AND amount = 5880 AND tax_amount = 980")
                == 1)
        let cli = CommandLineTests()
        let flagged = try cli.lectern(["orders", "--flagged"], in: daemon.site.root).stdout
        #expect(flagged.contains("price mismatch: list price 900 USD, catalog says 4900 USD"), "\(flagged)")
        #expect(flagged.split(separator: "\n").count == 2, "the header and the one flagged order: \(flagged)")
        // The creator accepts it: `lectern approve NUMBER` grants and the buyer gets the purchase e-mail.
        let number = try #require(flagged.split(separator: "\n").last?.split(separator: "\t").first.map(String.init))
        let approved = try cli.lectern(["approve", number], in: daemon.site.root)
        #expect(approved.status == 0 && approved.stdout.contains("granted to d@example.com"), "\(approved.stderr)")
        let mails = try await daemon.receivedMail(count: 4)
        #expect(
            mails.contains { $0.contains("To: d@example.com") && $0.contains("Thank you for buying Practical SQLite") })
        #expect(try daemon.count("orders", where: "status = 'flagged'") == 0)
        #expect(try daemon.count("orders", where: "flag LIKE 'approved by the creator: price mismatch%'") == 1)
        let again = try cli.lectern(["approve", number], in: daemon.site.root)
        #expect(again.status == 1 && again.stderr.contains("no flagged order \(number)"))
        #expect(try cli.lectern(["approve", "K7QD;rm"], in: daemon.site.root).status != 0)

        // A goodwill refund of 10.00 keeps access; refunding the rest withdraws it.
        let part = try await daemon.postStripe(
            DaemonHarness.stripeRefund(event: "evt_part", paymentIntent: "pi_tax", amount: 5_880, refunded: 1_000))
        #expect(part.json["result"] as? String == "partially-refunded")
        #expect(try daemon.count("grants", where: "revoked_at IS NULL") == 4)
        let rest = try await daemon.postStripe(
            DaemonHarness.stripeRefund(event: "evt_rest", paymentIntent: "pi_tax", amount: 5_880, refunded: 5_880))
        #expect(rest.json["result"] as? String == "refunded")
        #expect(try daemon.count("grants", where: "revoked_at IS NOT NULL") == 1)
        #expect(try daemon.count("orders", where: "provider_order_id = 'cs_tax' AND status = 'refunded'") == 1)

        // Out of range: refused before any arithmetic, nothing stored.
        let huge = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_huge", session: "cs_huge", paymentIntent: "pi_huge", amount: 4_900,
                subtotal: 4_900, discount: -5))
        #expect(try huge.status == 400 && daemon.count("webhook_events", where: "event_id = 'evt_huge'") == 0)
    }

    /// Lemon Squeezy's order as documented: `total` includes tax added on top (their example: 999 + 200 =
    /// 1199), `subtotal` is the price; a discount code lowers `total`. Each refund event carries all refunds so
    /// far in `refunded_amount`: a partial one keeps access, two of them reaching the total withdraw it.
    @Test func lemonSqueezyTaxDiscountAndRefundsInParts() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        func order(
            _ id: String, _ type: String, total: Int, subtotal: Int, discount: Int = 0, tax: Int = 0,
            refunded: Int? = nil
        ) -> Data {
            var attributes: [String: Any] = [
                "status": "paid", "currency": "USD", "user_email": "\(id)@example.com", "subtotal": subtotal,
                "discount_total": discount, "tax": tax, "total": total, "tax_inclusive": false,
            ]
            if let refunded { attributes["refunded_amount"] = refunded }
            return DaemonHarness.json([
                "meta": ["event_name": type, "custom_data": ["course": "practical-sqlite"]],
                "data": ["id": id, "type": "orders", "attributes": attributes],
            ])
        }
        func result(_ payload: Data) async throws -> String? {
            try await daemon.postLemon(payload).json["result"] as? String
        }
        #expect(try await result(order("1001", "order_created", total: 5_880, subtotal: 4_900, tax: 980)) == "granted")
        #expect(
            try await result(order("1002", "order_created", total: 3_920, subtotal: 4_900, discount: 980)) == "granted")
        #expect(try await result(order("1003", "order_created", total: 999, subtotal: 999)) == "flagged")
        #expect(
            try daemon.count("orders", where: "provider_order_id = '1001' AND amount = 5880 AND tax_amount = 980") == 1)

        let first = order("1001", "order_refunded", total: 5_880, subtotal: 4_900, tax: 980, refunded: 2_000)
        #expect(try await result(first) == "partially-refunded")
        #expect(try await result(first) == "duplicate", "the same refund, retried")
        #expect(try daemon.count("grants", where: "revoked_at IS NULL") == 2)
        let second = order("1001", "order_refunded", total: 5_880, subtotal: 4_900, tax: 980, refunded: 5_880)
        #expect(try await result(second) == "refunded")
        #expect(try daemon.count("grants", where: "revoked_at IS NULL") == 1)
        // A full refund before its order (events reordered) is kept: the order never grants.
        let early = order("1004", "order_refunded", total: 4_900, subtotal: 4_900, refunded: 4_900)
        #expect(try await result(early) == "refunded-pending")
        #expect(
            try await result(order("1004", "order_created", total: 4_900, subtotal: 4_900)) == "refunded-before-payment"
        )
        #expect(try daemon.count("grants", where: "revoked_at IS NULL") == 1)
    }
}
