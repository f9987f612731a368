import Foundation
import LecternTestSupport
import Testing

/// Gifts through a real lecternd and a real SMTP peer (issue 13): the giver pays, the recipient named in the
/// checkout (a Stripe Checkout custom field or metadata, Lemon Squeezy custom data) gets the access and the
/// link, on the day asked for; the giver gets a receipt without a link; the success page does not sign the
/// giver in; a refund withdraws the recipient's access.
@Suite(.serialized) struct DaemonGiftTests {
    static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]

    @Test func theRecipientGetsTheAccessTheGiverAReceiptAndARefundTakesItBack() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let gift = DaemonHarness.stripeCheckout(
            event: "evt_gift", session: "cs_gift", paymentIntent: "pi_gift", email: "giver@example.com",
            extra: [
                "custom_fields": [
                    [
                        "key": "giftto", "type": "text", "optional": true,
                        "label": ["type": "custom", "custom": "Recipient's e-mail"],
                        "text": ["value": "friend@example.com"],
                    ]
                ]
            ])
        #expect(try await daemon.postStripe(gift).json["result"] as? String == "granted")
        let mails = try await daemon.receivedMail(count: 2)
        let toFriend = try #require(mails.first { $0.contains("To: friend@example.com") })
        let receipt = try #require(mails.first { $0.contains("To: giver@example.com") })
        #expect(toFriend.contains("giver@example.com has given you Practical SQLite") && toFriend.contains("?token="))
        #expect(receipt.contains("Thank you for giving Practical SQLite to friend@example.com"))
        #expect(!receipt.contains("?token=") && !receipt.contains("/learn/"), "a receipt opens nothing")
        // The giver's browser, back from Stripe, is not signed in to the recipient's access.
        #expect(try await daemon.request("GET", "/access/claim?session_id=cs_gift").status == 202)
        let jar = daemon.site.root.appendingPathComponent("friend.txt")
        #expect(try daemon.curl(try daemon.link(in: toFriend), jar: jar, follow: true).status == 200)
        #expect(try daemon.curl("/learn/practical-sqlite/transactions/", jar: jar).status == 200)
        #expect(
            try daemon.count("orders", where: "buyer_id = (SELECT id FROM buyers WHERE email = 'giver@example.com')")
                == 1)
        // Refunded to the giver: the recipient's access goes.
        _ = try await daemon.postStripe(DaemonHarness.stripeRefund(event: "evt_gift_refund", paymentIntent: "pi_gift"))
        #expect(try daemon.curl("/learn/practical-sqlite/transactions/", jar: jar).status == 403)

        // A gift for a day ahead: the receipt now, the recipient's e-mail held until that day.
        let tomorrow = Date().addingTimeInterval(86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let parts = calendar.dateComponents([.year, .month, .day], from: tomorrow)
        let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        let later = DaemonHarness.stripeCheckout(
            event: "evt_later", session: "cs_later", paymentIntent: "pi_later", email: "aunt@example.com",
            extra: ["metadata": ["course": "practical-sqlite", "gift_to": "niece@example.com", "gift_date": day]])
        #expect(try await daemon.postStripe(later).json["result"] as? String == "granted")
        let three = try await daemon.receivedMail(count: 3)
        let auntReceipt = try #require(three.first { $0.contains("To: aunt@example.com") })
        #expect(auntReceipt.contains("to niece@example.com"), "\(auntReceipt)")
        let dayWords = "\(parts.day ?? 0) \(Self.months[(parts.month ?? 1) - 1]) \(parts.year ?? 0)"
        #expect(auntReceipt.contains("We e-mail them their link on \(dayWords)"), "\(auntReceipt)")
        #expect(!three.contains { $0.contains("To: niece@example.com") })
        #expect(
            try daemon.count(
                "outbox",
                where: "recipient = 'niece@example.com' AND kind = 'gift' AND next_attempt_at LIKE '\(day)T00:00:00%'")
                == 1)

        // A recipient that is not an address: flagged (the giver paid); approving gives the giver the access.
        let typo = DaemonHarness.stripeCheckout(
            event: "evt_typo", session: "cs_typo", paymentIntent: "pi_typo", email: "uncle@example.com",
            extra: ["metadata": ["course": "practical-sqlite", "gift_to": "nephew at example"]])
        #expect(try await daemon.postStripe(typo).json["result"] as? String == "flagged")
        let flagged = try CommandLineTests().lectern(["orders", "--flagged"], in: daemon.site.root).stdout
        #expect(flagged.contains("the gift's recipient is not an e-mail address"))

        // Lemon Squeezy: the checkout's custom data names the recipient.
        let lemon = DaemonHarness.json([
            "meta": [
                "event_name": "order_created",
                "custom_data": ["course": "practical-sqlite", "gift_to": "pal@example.com"],
            ],
            "data": [
                "id": "4001", "type": "orders",
                "attributes": [
                    "status": "paid", "currency": "USD", "user_email": "buyer@example.com", "subtotal": 4_900,
                    "total": 4_900,
                ],
            ],
        ])
        #expect(try await daemon.postLemon(lemon).json["result"] as? String == "granted")
        #expect(
            try daemon.count("grants", where: "buyer_id = (SELECT id FROM buyers WHERE email = 'pal@example.com')") == 1
        )
        #expect(
            try daemon.count("grants", where: "buyer_id = (SELECT id FROM buyers WHERE email = 'buyer@example.com')")
                == 0)
    }
}
