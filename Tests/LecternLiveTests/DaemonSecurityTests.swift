import Crypto
import Foundation
import GRDB
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternStore

/// The four holes of the security review, each tried against a real lecternd over loopback the way
/// an attacker would (docs/security.md lists them with the threat they belong to).
@Suite(.serialized) struct DaemonSecurityTests {
    /// The example course, also sold in a bundle with its own price.
    static let bundleConfig = "\n[products.all-access]\ntitle = \"Everything\"\nprice = \"99.00\"\n"

    static func sellInBundle(_ site: TempSite) throws {
        var toml = try site.read("lectern.toml")
        toml = toml.replacingOccurrences(of: "\n[build]", with: Self.bundleConfig + "\n[build]")
        try site.write("lectern.toml", toml)
        let index = try site.read("content/practical-sqlite/_index.md")
        try site.write(
            "content/practical-sqlite/_index.md",
            index.replacingOccurrences(of: "currency: USD", with: "currency: USD\nproducts: [all-access]"))
    }

    // MARK: 1. A bundle is sold only at its price

    @Test func aBundleIsGrantedOnlyAtItsOwnPriceAndCurrency() async throws {
        let daemon = try await DaemonHarness(prepare: Self.sellInBundle)
        defer { _ = daemon.stop() }
        let attempts: [(amount: Int, currency: String)] = [(100, "usd"), (2, "usd"), (9_900, "xxx"), (4_900, "usd")]
        for (index, attempt) in attempts.enumerated() {
            let payload = DaemonHarness.stripeCheckout(
                event: "evt_cheap_\(index)", session: "cs_cheap_\(index)", paymentIntent: "pi_cheap_\(index)",
                email: "cheap\(index)@example.com", course: "all-access",
                amount: attempt.amount, currency: attempt.currency)
            let reply = try await daemon.postStripe(payload)
            #expect(reply.status == 200 && reply.json["result"] as? String == "flagged", "\(attempt): \(reply.json)")
        }
        #expect(try daemon.count("grants") == 0)
        #expect(try daemon.count("orders", where: "status = 'flagged'") == attempts.count)

        let paid = DaemonHarness.stripeCheckout(
            event: "evt_bundle", session: "cs_bundle", paymentIntent: "pi_bundle",
            email: "bundle@example.com", course: "all-access", amount: 9_900)
        #expect(try await daemon.postStripe(paid).json["result"] as? String == "granted")
        // A product the catalog does not sell: 422, nothing recorded.
        let unknown = DaemonHarness.stripeCheckout(
            event: "evt_unknown", session: "cs_unknown", paymentIntent: "pi_unknown",
            course: "everything-free", amount: 0)
        #expect(try await daemon.postStripe(unknown).status == 422)
        #expect(try daemon.count("grants") == 1)
    }

    // MARK: 2. Numbers from outside never trap the process

    @Test func hostileNumbersAreRefusedAndTheDaemonLives() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        // An unauthenticated header: the year Int32.min used to overflow `year - 1900`.
        for date in [
            "Sun, 01 Jan -2147483648 00:00:00 GMT", "Sun, 01 Jan 2147483647 99:99:99 GMT",
            "Sun, 99 Jan 0000 00:00:00 GMT",
        ] {
            let reply = try daemon.curl("/style.css", arguments: ["-H", "If-Modified-Since: \(date)"])
            #expect(reply.status == 200, "\(date) → \(reply.status)")
        }
        // Signed webhook timestamps at the ends of Int64 (`abs(now - t)` trapped).
        let payload = DaemonHarness.stripeCheckout(event: "evt_min", session: "cs_min", paymentIntent: "pi_min")
        for timestamp in [Int.min, Int.max] {
            let stripe = try await daemon.postStripe(payload, timestamp: timestamp)
            #expect([400, 401].contains(stripe.status), "stripe t=\(timestamp) → \(stripe.status)")
            let standard = try await daemon.postStandard(
                DaemonHarness.json(["type": "payment.succeeded", "data": [:]]),
                id: "msg_\(timestamp)", timestamp: timestamp)
            #expect([400, 401].contains(standard.status), "standard t=\(timestamp) → \(standard.status)")
        }
        // A token signed with the site's own key whose `exp` is Int.max (`exp + leeway` trapped).
        let signer = try TokenSigner(keys: KeyStore(directory: daemon.site.root.appendingPathComponent("keys")))
        var claims = AccessClaims(subject: "g_1", audience: "practical-sqlite", issuedAt: Date(), lifetime: 60)
        claims.exp = Int.max
        let forever = try daemon.curl("/learn/practical-sqlite/?token=\(try signer.sign(claims))")
        #expect(forever.status == 401 && forever.body.contains("This link does not work"))
        // An amount of 2^64 + price wrapped to the price and was granted.
        let wrapped = String(
            decoding: DaemonHarness.stripeCheckout(event: "evt_wrap", session: "cs_wrap", paymentIntent: "pi_wrap"),
            as: UTF8.self
        )
        .replacingOccurrences(of: "\"amount_total\":4900", with: "\"amount_total\":18446744073709556516")
        #expect(wrapped.contains("18446744073709556516"))
        #expect(try await daemon.postStripe(Data(wrapped.utf8)).status == 400)
        #expect(try daemon.count("grants") == 0)
        #expect(try daemon.curl("/healthz").status == 200)
        #expect(daemon.daemon.isRunning)
    }

    @Test func amountsOfZeroAndOneAreNumbersAndBooleansAreNot() async throws {
        let daemon = try await DaemonHarness { site in
            // A one-cent course: `amount_total: 1` used to be read as `true` on Linux and refused as missing.
            let index = try site.read("content/practical-sqlite/_index.md")
            try site.write(
                "content/practical-sqlite/_index.md",
                index.replacingOccurrences(of: "price: \"49.00\"", with: "price: \"0.01\""))
        }
        defer { _ = daemon.stop() }
        let cent = DaemonHarness.stripeCheckout(
            event: "evt_cent", session: "cs_cent", paymentIntent: "pi_cent", amount: 1)
        let reply = try await daemon.postStripe(cent)
        #expect(reply.status == 200 && reply.json["result"] as? String == "granted", "\(reply.json)")
        let boolean = String(
            decoding: DaemonHarness.stripeCheckout(
                event: "evt_bool", session: "cs_bool", paymentIntent: "pi_bool", amount: 1),
            as: UTF8.self
        ).replacingOccurrences(of: "\"amount_total\":1", with: "\"amount_total\":true")
        #expect(try await daemon.postStripe(Data(boolean.utf8)).status == 400)
        #expect(try daemon.count("grants") == 1)
    }

    // MARK: 3. The checkout claim is single-use and short-lived; the stamp names Lectern's order

    @Test func checkoutClaimWorksOnceSoonAfterTheOrderAndTheStampHidesTheSessionID() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        for session in ["cs_claim_once", "cs_claim_old"] {
            let payload = DaemonHarness.stripeCheckout(
                event: "evt_\(session)", session: session, paymentIntent: "pi_\(session)",
                email: "\(session)@example.com")
            #expect(try await daemon.postStripe(payload).json["result"] as? String == "granted")
        }
        let jar = daemon.site.root.appendingPathComponent("claim-jar.txt")
        let first = try daemon.curl("/access/claim?session_id=cs_claim_once", jar: jar)
        #expect(first.status == 303 && first.header("Location") == ["/learn/practical-sqlite/"])
        #expect(first.header("Set-Cookie").contains { $0.hasPrefix("lectern_access=v2.") && $0.contains("HttpOnly") })
        #expect(first.header("Referrer-Policy") == ["no-referrer"])
        // The second claim (a leaked screenshot, a shared history) gets "check your e-mail" and no cookie.
        let second = try daemon.curl("/access/claim?session_id=cs_claim_once")
        #expect(
            second.status == 202 && second.header("Set-Cookie").isEmpty && second.body.contains("check your e-mail"))
        // An order older than the window: e-mail only.
        let store = try daemon.openStore()
        try store.write {
            try $0.execute(
                sql:
                    "UPDATE orders SET created_at = '2026-01-01T00:00:00.000Z' WHERE provider_order_id = 'cs_claim_old'"
            )
        }
        let late = try daemon.curl("/access/claim?session_id=cs_claim_old")
        #expect(late.status == 202 && late.header("Set-Cookie").isEmpty)

        // The browser that claimed reads the course; its stamp shows Lectern's order number, never `cs_…`.
        let lesson = try daemon.curl("/learn/practical-sqlite/", jar: jar, follow: true)
        #expect(lesson.status == 200 && lesson.body.contains("Licensed to cs_claim_once@example.com"))
        #expect(!lesson.body.contains("cs_claim_once ") && !lesson.body.contains("order cs_"))
        let number = try #require(
            try store.read {
                try String.fetchOne($0, sql: "SELECT number FROM orders WHERE provider_order_id = 'cs_claim_once'")
            })
        #expect(number.range(of: "^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$", options: .regularExpression) != nil)
        #expect(lesson.body.contains("order \(number)"))
    }

    // MARK: 4. A buyer's e-mail is checked before it reaches curl, a header or the store

    @Test func injectedEmailAddressesAreRefusedAtIngestion() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let hostile = [
            "evil@example.com\"\nupload-file = \"keys/watermark.secret", "evil@example.com\r\nBcc: victim@example.com",
            "\"quoted\"@example.com", "evil@example.com -X", "no-at-sign", "a@b", "a@[127.0.0.1]",
        ]
        for (index, email) in hostile.enumerated() {
            let payload = DaemonHarness.stripeCheckout(
                event: "evt_mail_\(index)", session: "cs_mail_\(index)", paymentIntent: "pi_mail_\(index)",
                email: email)
            let reply = try await daemon.postStripe(payload)
            #expect(
                reply.status == 422 && reply.json["type"] as? String == "https://lectern.dev/problems/invalid-email",
                "\(email)")
        }
        for table in ["buyers", "webhook_events", "outbox"] { #expect(try daemon.count(table) == 0, "\(table)") }
        // An international address is a real buyer's: accepted, and delivered over SMTP.
        let chinese = DaemonHarness.stripeCheckout(
            event: "evt_idn", session: "cs_idn", paymentIntent: "pi_idn", email: "zhang@例子.中国")
        #expect(try await daemon.postStripe(chinese).json["result"] as? String == "granted")
        let ordinary = DaemonHarness.stripeCheckout(
            event: "evt_ok", session: "cs_ok", paymentIntent: "pi_ok", email: "Ada@Example.com")
        #expect(try await daemon.postStripe(ordinary).json["result"] as? String == "granted")
        let mail = try await daemon.receivedMail(count: 2)
        #expect(mail.contains { $0.contains("To: ada@example.com") })
    }
}
