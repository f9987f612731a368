import Foundation
import LecternTestSupport
import Testing

/// Subscriptions through a real lecternd (issue 13): the example bundle sold as a monthly subscription on
/// Stripe (Checkout Session in subscription mode, `customer.subscription.*`, `invoice.*`,
/// `invoice_payment.paid`, `charge.refunded` shaped as Stripe documents them and signed with `stripe`), on
/// Lemon Squeezy (`subscription_*` events) and on Standard Webhooks.
@Suite(.serialized) struct DaemonSubscriptionTests {
    static let portal = "https://billing.stripe.com/p/login/test_portal"
    static let day: TimeInterval = 86_400

    static func subscriptionsConfigured(_ site: TempSite) throws {
        try site.write(
            "lectern.toml",
            try site.read("lectern.toml") + "\n[subscriptions]\ngrace = \"2d\"\nmanage_url = \"\(portal)\"\n")
    }

    /// A Checkout Session in subscription mode for the bundle: no payment intent, the subscription's id instead.
    static func subscriptionCheckout(_ event: String, _ session: String, email: String, subscription: String) -> Data {
        DaemonHarness.stripeCheckout(
            event: event, session: session, paymentIntent: "", email: email, course: "every-course", amount: 5_900,
            subtotal: 5_900, extra: ["mode": "subscription", "payment_intent": NSNull(), "subscription": subscription])
    }

    static func event(_ id: String, _ type: String, at created: Date, _ object: [String: Any]) -> Data {
        DaemonHarness.json([
            "id": id, "object": "event", "type": type, "created": Int(created.timeIntervalSince1970),
            "data": ["object": object],
        ])
    }

    /// A subscription in API 2025-03-31's shape: the period on its item.
    static func subscription(
        _ id: String, status: String, periodEnd: Date, cancelAtPeriodEnd: Bool = false, endedAt: Date? = nil
    ) -> [String: Any] {
        [
            "id": id, "object": "subscription", "status": status, "cancel_at_period_end": cancelAtPeriodEnd,
            "cancel_at": NSNull(), "ended_at": endedAt.map { Int($0.timeIntervalSince1970) } ?? NSNull(),
            "items": ["object": "list", "data": [["current_period_end": Int(periodEnd.timeIntervalSince1970)]]],
        ]
    }

    static func invoice(_ id: String, subscription: String, periodEnd: Date) -> [String: Any] {
        [
            "id": id, "object": "invoice", "status": "paid",
            "parent": ["type": "subscription_details", "subscription_details": ["subscription": subscription]],
            "lines": ["object": "list", "data": [["period": ["end": Int(periodEnd.timeIntervalSince1970)]]]],
        ]
    }

    func endsAt(_ daemon: DaemonHarness, _ email: String) throws -> Date? {
        let text = try daemon.value(
            "SELECT g.ends_at FROM grants g JOIN buyers b ON b.id = g.buyer_id WHERE b.email = '\(email)' ORDER BY g.id LIMIT 1"
        )
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    @Test func stripeSubscriptionRenewsFailsGetsCancelledAndIsRefundedByItsInvoice() async throws {
        let daemon = try await DaemonHarness(prepare: Self.subscriptionsConfigured)
        defer { _ = daemon.stop() }
        let now = Date()
        let checkout = Self.subscriptionCheckout("evt_sub", "cs_sub", email: "sub@example.com", subscription: "sub_A")
        #expect(try await daemon.postStripe(checkout).json["result"] as? String == "granted")
        // The purchase e-mail says where to manage the subscription.
        let mail = try #require(try await daemon.receivedMail(count: 1).first)
        #expect(mail.contains(Self.portal), "\(mail)")

        func post(_ id: String, _ type: String, at: Date, _ object: [String: Any]) async throws -> String? {
            try await daemon.postStripe(Self.event(id, type, at: at, object)).json["result"] as? String
        }
        let period = now.addingTimeInterval(30 * Self.day)
        #expect(
            try await post(
                "e1", "customer.subscription.updated", at: now,
                Self.subscription("sub_A", status: "active", periodEnd: period))
                == "subscription-active")
        #expect(
            try abs(
                #require(try endsAt(daemon, "sub@example.com")).timeIntervalSince(
                    period.addingTimeInterval(2 * Self.day))) < 1)
        // Renewed a month on by its invoice (and the invoice now names the subscription's payment).
        let next = period.addingTimeInterval(30 * Self.day)
        #expect(
            try await post(
                "e2", "invoice.paid", at: now.addingTimeInterval(60),
                Self.invoice("in_2", subscription: "sub_A", periodEnd: next))
                == "subscription-active")
        #expect(
            try abs(
                #require(try endsAt(daemon, "sub@example.com")).timeIntervalSince(next.addingTimeInterval(2 * Self.day))
            ) < 1)
        // Delivered late, the first update changes nothing.
        #expect(
            try await post(
                "e3", "customer.subscription.updated", at: now.addingTimeInterval(-60),
                Self.subscription("sub_A", status: "active", periodEnd: period))
                == "subscription-stale")
        // Cancelled at the period's end: access to exactly then, no grace.
        #expect(
            try await post(
                "e4", "customer.subscription.updated", at: now.addingTimeInterval(120),
                Self.subscription("sub_A", status: "active", periodEnd: next, cancelAtPeriodEnd: true))
                == "subscription-active")
        #expect(try abs(#require(try endsAt(daemon, "sub@example.com")).timeIntervalSince(next)) < 1)

        // A comp for the subscriber is a grant of its own: the subscription's end stays the provider's.
        let comp = try CommandLineTests().lectern(
            ["grant", "--email", "sub@example.com", "--course", "every-course", "--for", "400d"], in: daemon.site.root)
        #expect(
            try comp.status == 0
                && daemon.count("grants", where: "subscription_ref IS NULL AND ends_at IS NOT NULL") == 1)
        #expect(try abs(#require(try endsAt(daemon, "sub@example.com")).timeIntervalSince(next)) < 1)

        // The renewal is refunded: Stripe's refund names its payment intent, linked to the invoice by
        // `invoice_payment.paid` (API 2025-03-31). Access is withdrawn.
        #expect(
            try await post(
                "e5", "invoice_payment.paid", at: now.addingTimeInterval(180),
                [
                    "id": "inpay_2", "object": "invoice_payment", "invoice": "in_2",
                    "payment": ["type": "payment_intent", "payment_intent": "pi_renewal"],
                ]) == "payment-linked")
        let refund = try await daemon.postStripe(
            DaemonHarness.stripeRefund(event: "e6", paymentIntent: "pi_renewal", amount: 5_900))
        #expect(refund.json["result"] as? String == "refunded")
        #expect(try daemon.count("grants", where: "revoked_at IS NOT NULL AND subscription_ref = 'sub_A'") == 1)
    }

    /// Events shuffled: the cancellation arrives before the purchase; the purchase's grant has already ended,
    /// and the reader is told so, with the way to manage the subscription.
    @Test func aCancellationBeforeItsPurchaseEndsTheGrantAndTheGateSaysSo() async throws {
        let daemon = try await DaemonHarness(prepare: Self.subscriptionsConfigured)
        defer { _ = daemon.stop() }
        let now = Date()
        let deleted = Self.event(
            "evt_del", "customer.subscription.deleted", at: now,
            Self.subscription("sub_B", status: "canceled", periodEnd: now, endedAt: now.addingTimeInterval(-60)))
        #expect(try await daemon.postStripe(deleted).json["result"] as? String == "subscription-ended")
        let checkout = Self.subscriptionCheckout("evt_b", "cs_b", email: "late@example.com", subscription: "sub_B")
        #expect(try await daemon.postStripe(checkout).json["result"] as? String == "granted")
        let ends = try #require(try endsAt(daemon, "late@example.com"))
        #expect(abs(ends.timeIntervalSince(now.addingTimeInterval(-60))) < 1)
        // `lectern token` has no live grant to sign for.
        let issued = try CommandLineTests().lectern(
            ["token", "issue", "--email", "late@example.com", "--course", "every-course"], in: daemon.site.root)
        #expect(issued.status != 0)

        // A subscriber reading when the cancellation arrives: the next page says access ended, with the
        // way to manage the subscription.
        let reader = Self.subscriptionCheckout("evt_c", "cs_c", email: "reader@example.com", subscription: "sub_C")
        #expect(try await daemon.postStripe(reader).json["result"] as? String == "granted")
        let mail = try #require(try await daemon.receivedMail(count: 1).first)
        let jar = daemon.site.root.appendingPathComponent("reader.txt")
        #expect(try daemon.curl(try daemon.link(in: mail), jar: jar, follow: true).status == 200)
        #expect(try daemon.curl("/learn/practical-sqlite/transactions/", jar: jar).status == 200)
        let cancelled = Self.event(
            "evt_cdel", "customer.subscription.deleted", at: Date(),
            Self.subscription("sub_C", status: "canceled", periodEnd: Date(), endedAt: Date().addingTimeInterval(-1)))
        #expect(try await daemon.postStripe(cancelled).json["result"] as? String == "subscription-ended")
        let page = try daemon.curl("/learn/practical-sqlite/transactions/", jar: jar)
        #expect(page.status == 403 && page.body.contains(Self.portal), "\(page.status)")
    }

    @Test func lemonSqueezyAndStandardWebhooksSubscriptions() async throws {
        let daemon = try await DaemonHarness(prepare: Self.subscriptionsConfigured)
        defer { _ = daemon.stop() }
        let iso = ISO8601DateFormatter()
        let now = Date()
        func subscriptionEvent(
            _ name: String, status: String, updated: Date, renews: Date?, ends: Date?, id: String = "7001",
            order: Int = 3001
        ) -> Data {
            DaemonHarness.json([
                "meta": ["event_name": name],
                "data": [
                    "type": "subscriptions", "id": id,
                    "attributes": [
                        "order_id": order, "status": status, "user_email": "ls@example.com",
                        "renews_at": renews.map { iso.string(from: $0) as Any } ?? NSNull(),
                        "ends_at": ends.map { iso.string(from: $0) as Any } ?? NSNull(),
                        // Lemon Squeezy writes microseconds.
                        "updated_at": iso.string(from: updated).replacingOccurrences(of: "Z", with: ".000000Z"),
                    ],
                ],
            ])
        }
        func order(_ id: String, email: String) -> Data {
            DaemonHarness.json([
                "meta": ["event_name": "order_created", "custom_data": ["course": "every-course"]],
                "data": [
                    "id": id, "type": "orders",
                    "attributes": [
                        "status": "paid", "currency": "USD", "user_email": email, "subtotal": 5_900, "total": 5_900,
                    ],
                ],
            ])
        }
        func refund(subscription: Int, invoice: String) -> Data {
            DaemonHarness.json([
                "meta": ["event_name": "subscription_payment_refunded"],
                "data": [
                    "type": "subscription-invoices", "id": invoice,
                    "attributes": [
                        "subscription_id": subscription, "status": "refunded", "updated_at": iso.string(from: now),
                    ],
                ],
            ])
        }
        let renews = now.addingTimeInterval(30 * Self.day)
        // The subscription's event first, its order after: the order's grant joins it.
        #expect(
            try await daemon.postLemon(
                subscriptionEvent("subscription_created", status: "active", updated: now, renews: renews, ends: nil)
            )
            .json["result"] as? String == "subscription-active")
        #expect(
            try await daemon.postLemon(order("3001", email: "ls@example.com")).json["result"] as? String == "granted")
        #expect(
            try abs(
                #require(try endsAt(daemon, "ls@example.com")).timeIntervalSince(
                    renews.addingTimeInterval(2 * Self.day))) < 1)
        // Cancelled: access until `ends_at`, no grace.
        let ends = now.addingTimeInterval(20 * Self.day)
        #expect(
            try await daemon.postLemon(
                subscriptionEvent(
                    "subscription_cancelled", status: "cancelled", updated: now.addingTimeInterval(5), renews: nil,
                    ends: ends)
            ).json["result"] as? String == "subscription-active")
        #expect(try abs(#require(try endsAt(daemon, "ls@example.com")).timeIntervalSince(ends)) < 1)
        // Its invoice refunded: the order is reversed.
        #expect(
            try await daemon.postLemon(refund(subscription: 7001, invoice: "9001")).json["result"] as? String
                == "refunded")
        #expect(try daemon.count("orders", where: "provider_order_id = '3001' AND status = 'refunded'") == 1)
        // Shuffled: a refund before anything of its subscription, then the subscription, then the order. The
        // refund waits under the subscription's id, follows it to the order, and the order grants nothing.
        #expect(
            try await daemon.postLemon(refund(subscription: 7002, invoice: "9002")).json["result"] as? String
                == "refunded-pending")
        #expect(
            try await daemon.postLemon(
                subscriptionEvent(
                    "subscription_created", status: "active", updated: now, renews: renews, ends: nil, id: "7002",
                    order: 3002)
            ).json["result"] as? String == "subscription-active")
        #expect(
            try await daemon.postLemon(order("3002", email: "early@example.com")).json["result"] as? String
                == "refunded-before-payment")
        #expect(
            try daemon.count("grants", where: "buyer_id = (SELECT id FROM buyers WHERE email = 'early@example.com')")
                == 0)

        // Standard Webhooks: the payment names its subscription; an update ends it.
        let paid = DaemonHarness.json([
            "type": "payment.succeeded",
            "data": [
                "payment_id": "pay_s1", "product": "every-course", "email": "sw@example.com", "amount": 5_900,
                "currency": "usd", "subscription_id": "ss_1",
            ],
        ])
        #expect(try await daemon.postStandard(paid, id: "msg_p").json["result"] as? String == "granted")
        let cancelled = DaemonHarness.json([
            "type": "subscription.updated",
            "data": ["subscription_id": "ss_1", "status": "canceled", "occurred_at": Int(now.timeIntervalSince1970)],
        ])
        #expect(try await daemon.postStandard(cancelled, id: "msg_c").json["result"] as? String == "subscription-ended")
        #expect(try abs(#require(try endsAt(daemon, "sw@example.com")).timeIntervalSince(now)) < 1)
        let undated = DaemonHarness.json([
            "type": "subscription.updated", "data": ["subscription_id": "ss_1", "status": "active"],
        ])
        #expect(try await daemon.postStandard(undated, id: "msg_u").status == 400)
    }
}
