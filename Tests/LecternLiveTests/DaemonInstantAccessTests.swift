import Foundation
import LecternTestSupport
import Testing

/// Instant access from Stripe's success page through Stripe's API (issue 13): with `LECTERN_STRIPE_API_KEY`,
/// a session not yet recorded is read from the API (a local peer serving Stripe-shaped sessions, checked
/// first with the `stripe` library) and fulfilled by the webhook's own processor, so the success page and
/// the webhook, whichever comes first, make one order, one grant and one e-mail.
@Suite(.serialized) struct DaemonInstantAccessTests {
    static let key = "sk_test_peer51Lectern"
    static let price = "price_1QEveryCourse"
    static let peerScript = repoRoot.appendingPathComponent("Tests/peers/stripe_api_peer.py").path

    /// The peer, serving `folder`'s sessions to the right key.
    final class StripePeer {
        let folder: URL
        let process = Process()
        var port = 0

        init(folder: URL) throws {
            self.folder = folder
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", DaemonInstantAccessTests.peerScript, "serve", folder.path, key]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var seen = ""
            let deadline = Date().addingTimeInterval(20)
            while port == 0 && Date() < deadline {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
                if let range = seen.range(of: "listening on port ") {
                    port = Int(seen[range.upperBound...].prefix { $0.isNumber }) ?? 0
                }
            }
            try #require(port > 0, "the Stripe API peer did not start")
        }

        /// A paid session for the bundle, named only by its line item's price (no metadata, no Payment Link).
        func paidSession(_ id: String, email: String, status: String = "paid") throws {
            let session: [String: Any] = [
                "id": id, "object": "checkout.session", "mode": "payment", "status": "complete",
                "payment_status": status, "amount_total": 5_900, "amount_subtotal": 5_900, "currency": "usd",
                "payment_intent": "pi_\(id)", "payment_link": NSNull(), "client_reference_id": NSNull(),
                "metadata": [String: String](), "customer_details": ["email": email],
                "total_details": ["amount_discount": 0, "amount_tax": 0, "amount_shipping": 0],
                "line_items": [
                    "object": "list", "has_more": false, "url": "/v1/checkout/sessions/\(id)/line_items",
                    "data": [
                        [
                            "id": "li_\(id)", "object": "item", "amount_subtotal": 5_900, "amount_total": 5_900,
                            "currency": "usd", "quantity": 1,
                            "price": [
                                "id": price, "object": "price", "unit_amount": 5_900, "currency": "usd",
                                "product": "prod_every",
                            ],
                        ]
                    ],
                ],
            ]
            try DaemonHarness.json(session).write(to: folder.appendingPathComponent("\(id).json"))
        }

        func stop() {
            process.terminate()
            // Polled: `waitUntilExit` can hang on Swift concurrency threads on Linux.
            for _ in 0..<200 where process.isRunning { usleep(10_000) }
        }
    }

    static func sellByPrice(_ site: TempSite) throws {
        let toml = try site.read("lectern.toml")
        try site.write(
            "lectern.toml",
            toml.replacingOccurrences(
                of: "courses = [\"practical-sqlite\", \"zhishi-fufei-xiezuo\"]\n",
                with: "courses = [\"practical-sqlite\", \"zhishi-fufei-xiezuo\"]\nstripe_price = \"\(price)\"\n"))
    }

    @Test func theSuccessPageFulfilsFromStripesAnswerOnceWhateverArrivesFirst() async throws {
        let peerFolder = FileManager.default.temporaryDirectory.appendingPathComponent("stripe-api-\(UUID())")
        let peer = try StripePeer(folder: peerFolder)
        defer { peer.stop() }
        try peer.paidSession("cs_test_first", email: "first@example.com")
        // The objects are what Stripe's own client reads: the `stripe` library, pointed at the peer.
        let checked = try runProgram(
            "/usr/bin/env",
            [
                "python3", DaemonInstantAccessTests.peerScript, "check", String(peer.port), Self.key,
                "cs_test_first",
            ])
        #expect(
            checked.status == 0 && checked.stdout.contains("cs_test_first paid \(Self.price) 5900"), "\(checked.stderr)"
        )

        let daemon = try await DaemonHarness(
            environment: [
                "LECTERN_STRIPE_API_KEY": Self.key, "LECTERN_STRIPE_API_BASE": "http://127.0.0.1:\(peer.port)",
            ], prepare: Self.sellByPrice)
        defer { _ = daemon.stop() }

        // No webhook yet: the success page asks Stripe, records the order and signs the browser in.
        let jar = daemon.site.root.appendingPathComponent("first.txt")
        let claim = try daemon.curl("/access/claim?session_id=cs_test_first", jar: jar)
        #expect(claim.status == 303, "\(claim.status) \(claim.body)")
        #expect(try daemon.curl("/learn/zhishi-fufei-xiezuo/dingjia/", jar: jar).status == 200)
        #expect(
            try daemon.count("orders", where: "provider_order_id = 'cs_test_first' AND product = 'every-course'") == 1)
        #expect(try daemon.count("webhook_events", where: "event_id = 'api:cs_test_first'") == 1)
        // The webhook, later, as Stripe sends it (no line items, so nothing names the product): acknowledged as
        // recorded — still one order, one grant, one e-mail.
        let webhook = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_first", session: "cs_test_first", paymentIntent: "pi_cs_test_first",
                email: "first@example.com", course: nil, amount: 5_900, subtotal: 5_900))
        #expect(webhook.json["result"] as? String == "already-recorded")
        #expect(try daemon.count("grants") == 1)

        // 100 success pages and 100 deliveries of the webhook at once, for a new session (created by the
        // creator's own server, whose metadata names the product).
        try peer.paidSession("cs_test_race", email: "race@example.com")
        let payload = DaemonHarness.stripeCheckout(
            event: "evt_race", session: "cs_test_race", paymentIntent: "pi_cs_test_race", email: "race@example.com",
            course: "every-course", amount: 5_900, subtotal: 5_900)
        async let deliveries = daemon.postStripeInARow(Array(repeating: payload, count: 100))
        let claims = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<100 {
                group.addTask { try await daemon.request("GET", "/access/claim?session_id=cs_test_race").status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        let delivered = try await deliveries
        #expect(delivered.allSatisfy { $0.status == 200 }, "\(Set(delivered.map(\.status)))")
        #expect(claims.allSatisfy { [303, 202].contains($0) } && claims.filter { $0 == 303 }.count <= 1)
        #expect(try daemon.count("orders", where: "provider_order_id = 'cs_test_race'") == 1)
        #expect(
            try daemon.count("grants", where: "buyer_id = (SELECT id FROM buyers WHERE email = 'race@example.com')")
                == 1)
        // Waits 4 s for a third e-mail that must not come (mail goes out within a second here).
        let mails = try await daemon.receivedMail(count: 3, timeout: 4)
        let after = try await daemon.receivedMail(count: 3, timeout: 0)
        #expect(mails.count == 2 && after.count == 2, "one e-mail per buyer: \(after.count)")
        #expect(after.filter { $0.contains("To: race@example.com") }.count == 1)

        // A session not paid yet records nothing (the webhook will); a key Stripe refuses falls back to waiting.
        try peer.paidSession("cs_test_unpaid", email: "unpaid@example.com", status: "unpaid")
        #expect(try await daemon.request("GET", "/access/claim?session_id=cs_test_unpaid").status == 202)
        #expect(try daemon.count("webhook_events", where: "event_id = 'api:cs_test_unpaid'") == 0)
        #expect(try await daemon.request("GET", "/access/claim?session_id=cs_test_missing").status == 202)
        #expect(try await daemon.request("GET", "/access/claim?session_id=cs_../../v1/x").status == 202)
    }
}
