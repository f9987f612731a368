import Foundation
import LecternTestSupport
import Testing

/// Issue 13's products through a real lecternd: the example site's bundle (`every-course`, 59.00 USD or
/// 399.00 CNY) and pay-what-you-want product (`sqlite-pay-what-you-can`, from 9.00 USD), a Payment Link and a
/// Lemon Squeezy variant mapped to the bundle, a regional price in yen on the course. Payloads shaped as the
/// providers document them and signed with their own libraries (`stripe`, `standardwebhooks`).
@Suite(.serialized) struct DaemonProductsTests {
    static let bundleLink = "plink_1QEveryCourse"
    static let cheapLink = "plink_1QPayWhatYouCan"

    /// The provider ids the creator set up, mapped in the catalog; the course also sold in yen.
    static func mapProviderIDs(_ site: TempSite) throws {
        var toml = try site.read("lectern.toml")
        toml = toml.replacingOccurrences(
            of: "courses = [\"practical-sqlite\", \"zhishi-fufei-xiezuo\"]\n",
            with: "courses = [\"practical-sqlite\", \"zhishi-fufei-xiezuo\"]\nstripe_payment_link = \"\(bundleLink)\"\n"
                + "lemonsqueezy_variant = 424242\n")
        toml = toml.replacingOccurrences(
            of: "courses = [\"practical-sqlite\"]\n",
            with: "courses = [\"practical-sqlite\"]\nstripe_payment_link = \"\(cheapLink)\"\n"
                + "lemonsqueezy_variant = [111, \"112\"]\n")
        try site.write("lectern.toml", toml)
        let index = try site.read("content/practical-sqlite/_index.md")
        try site.write(
            "content/practical-sqlite/_index.md",
            index.replacingOccurrences(of: "currency: USD", with: "currency: USD\nprices: { JPY: \"7400\" }"))
    }

    @Test func stripeProductsRegionalPricesPayWhatYouWantAndTheForgedProduct() async throws {
        let daemon = try await DaemonHarness(prepare: Self.mapProviderIDs)
        defer { _ = daemon.stop() }
        func checkout(
            _ id: String, course: String? = nil, link: String? = nil, reference: String? = nil, amount: Int,
            currency: String = "usd", extra: [String: Any] = [:]
        ) async throws -> String? {
            let reply = try await daemon.postStripe(
                DaemonHarness.stripeCheckout(
                    event: "evt_\(id)", session: "cs_\(id)", paymentIntent: "pi_\(id)", email: "\(id)@example.com",
                    course: course, amount: amount, currency: currency, subtotal: amount, paymentLink: link,
                    clientReference: reference, extra: extra))
            return reply.json["result"] as? String ?? "\(reply.status) \(String(decoding: reply.body, as: UTF8.self))"
        }
        func product(_ id: String) throws -> Int { try daemon.count("grants", where: "product = '\(id)'") }

        // The bundle's Payment Link, no product named: granted as the bundle; the e-mail lists both courses.
        let viaLink = try await checkout("link", link: Self.bundleLink, amount: 5_900)
        #expect(viaLink == "granted", "\(viaLink ?? "")")
        let mail = try #require(try await daemon.receivedMail(count: 1).first)
        #expect(mail.contains("/courses/practical-sqlite/") && mail.contains("/courses/zhishi-fufei-xiezuo/"))
        // One link, both courses' paid lessons on that browser.
        let jar = daemon.site.root.appendingPathComponent("bundle-buyer.txt")
        #expect(try daemon.curl(try daemon.link(in: mail), jar: jar, follow: true).status == 200)
        #expect(try daemon.curl("/learn/practical-sqlite/transactions/", jar: jar).status == 200)
        #expect(try daemon.curl("/learn/zhishi-fufei-xiezuo/dingjia/", jar: jar).status == 200)
        // The attack: the pay-what-you-want link paid at 9.00, with the bundle's id added to its URL. The
        // link decides: the buyer gets what they paid for, not the bundle.
        #expect(
            try await checkout("forged", link: Self.cheapLink, reference: "every-course", amount: 900) == "granted")
        #expect(
            try daemon.count("orders", where: "provider_order_id = 'cs_forged' AND product = 'sqlite-pay-what-you-can'")
                == 1)
        // Without a link, the buyer-set id is price-checked like any name: the bundle at 9.00 is flagged.
        #expect(try await checkout("named", reference: "every-course", amount: 900) == "flagged")
        #expect(try product("every-course") == 1)

        // Regional prices: the bundle in yuan at exactly 399.00; anything else in yuan, or a currency the
        // catalog does not price it in, is flagged with the reason.
        #expect(try await checkout("cny", course: "every-course", amount: 39_900, currency: "cny") == "granted")
        #expect(try await checkout("cny-low", course: "every-course", amount: 9_900, currency: "cny") == "flagged")
        #expect(try await checkout("eur", course: "every-course", amount: 5_900, currency: "eur") == "flagged")
        #expect(
            try daemon.count("orders", where: "provider_order_id = 'cs_eur' AND flag LIKE '%(sold in USD, CNY)%'") == 1)
        // Zero-decimal yen: 7400 is ¥7,400 (not 74.00).
        #expect(try await checkout("jpy", course: "practical-sqlite", amount: 7_400, currency: "jpy") == "granted")
        #expect(
            try await checkout("jpy-cents", course: "practical-sqlite", amount: 740_000, currency: "jpy") == "flagged")

        // Pay what you want: the suggested 29.00, the minimum 9.00 and more are granted; 5.00 is not.
        for (id, amount) in [("pwyw-suggested", 2_900), ("pwyw-least", 900), ("pwyw-generous", 10_000)] {
            #expect(try await checkout(id, course: "sqlite-pay-what-you-can", amount: amount) == "granted", "\(id)")
        }
        #expect(try await checkout("pwyw-low", course: "sqlite-pay-what-you-can", amount: 500) == "flagged")
        #expect(
            try daemon.count("orders", where: "provider_order_id = 'cs_pwyw-low' AND flag LIKE 'below the minimum%'")
                == 1)

        // Adaptive Pricing: the buyer paid in euros. Newer sessions keep the creator's currency (amounts in
        // USD) and describe the euros in `presentment_details`; older ones are in euros with the USD amounts
        // under `currency_conversion`. Both are the bundle's 59.00 USD.
        #expect(
            try await checkout(
                "adaptive", link: Self.bundleLink, amount: 5_900,
                extra: ["presentment_details": ["presentment_amount": 5_480, "presentment_currency": "eur"]])
                == "granted")
        #expect(
            try await checkout(
                "adaptive-legacy", link: Self.bundleLink, amount: 5_480, currency: "eur",
                extra: [
                    "amount_subtotal": 5_480,
                    "currency_conversion": [
                        "amount_subtotal": 5_900, "amount_total": 5_900, "fx_rate": "1.0766", "source_currency": "usd",
                    ],
                ]) == "granted")
        #expect(
            try daemon.count(
                "orders", where: "provider_order_id = 'cs_adaptive-legacy' AND currency = 'USD' AND amount = 5900")
                == 1)
        // A Payment Link the catalog does not map, and no name: refused, nothing stored, Stripe retries.
        let unknown = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_unmapped", session: "cs_unmapped", paymentIntent: "pi_unmapped", course: nil, amount: 900,
                paymentLink: "plink_1QSomethingElse"))
        #expect(
            unknown.status == 422 && String(decoding: unknown.body, as: UTF8.self).contains("plink_1QSomethingElse"))
        #expect(try daemon.count("orders", where: "provider_order_id = 'cs_unmapped'") == 0)

        // A subscription's free trial: nothing due, nothing listed. From the creator's own Payment Link it
        // grants; named only by a field a buyer can set, it is flagged.
        func trial(_ sub: String) -> [String: Any] {
            [
                "mode": "subscription", "payment_status": "no_payment_required", "subscription": sub,
                "payment_intent": NSNull(),
            ]
        }
        #expect(try await checkout("trial", link: Self.bundleLink, amount: 0, extra: trial("sub_trial")) == "granted")
        #expect(
            try await checkout("trial-named", reference: "every-course", amount: 0, extra: trial("sub_t2")) == "flagged"
        )

        // `lectern sales`: per currency, flagged orders left out (they were not granted).
        let sales = try CommandLineTests().lectern(["sales"], in: daemon.site.root).stdout
        #expect(sales.contains("USD\t8\t$324.00\t$0.00\t$0.00\t$0.00\t$324.00"), "\(sales)")
        #expect(sales.contains("CNY\t1\tCN¥399.00\t") && sales.contains("JPY\t1\t¥7400\t"), "\(sales)")
    }

    /// `lectern grant --for` / `--until`: comp access that ends, extended by a longer one; bad dates refused.
    @Test func timeLimitedCompGrants() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let cli = CommandLineTests()
        let root = daemon.site.root
        func grant(_ extra: [String]) throws -> CommandLineTests.Run {
            try cli.lectern(["grant", "--email", "comp@example.com", "--course", "practical-sqlite"] + extra, in: root)
        }
        func endsAt() throws -> String? { try daemon.value("SELECT ends_at FROM grants WHERE revoked_at IS NULL") }
        #expect(try grant(["--for", "30d"]).status == 0)
        let month = try #require(try endsAt())
        let expected = ISO8601DateFormatter().string(from: Date().addingTimeInterval(30 * 86_400)).prefix(10)
        #expect(month.hasPrefix(String(expected)), "\(month)")
        // A longer comp extends the same grant (one grant, one link e-mail each time).
        #expect(try grant(["--until", "2099-12-31"]).status == 0)
        #expect(try endsAt()?.hasPrefix("2100-01-01") == true && daemon.count("grants") == 1)
        // A shorter one does not shorten it.
        #expect(try grant(["--for", "1d"]).status == 0)
        #expect(try endsAt()?.hasPrefix("2100-01-01") == true)
        for bad in [
            ["--until", "2027-02-30"], ["--until", "2020-01-01"], ["--for", "forever"], ["--for", "-3d"],
            ["--until", "2099-01-01", "--for", "3d"],
        ] {
            #expect(try grant(bad).status != 0, "\(bad)")
        }
        #expect(try daemon.count("grants") == 1)
    }

    @Test func lemonSqueezyVariantsAndStandardWebhooksMoney() async throws {
        let daemon = try await DaemonHarness(prepare: Self.mapProviderIDs)
        defer { _ = daemon.stop() }
        func order(_ id: String, variant: Int, course: String?, total: Int) async throws -> String? {
            var meta: [String: Any] = ["event_name": "order_created"]
            if let course { meta["custom_data"] = ["course": course] }
            let payload = DaemonHarness.json([
                "meta": meta,
                "data": [
                    "id": id, "type": "orders",
                    "attributes": [
                        "status": "paid", "currency": "USD", "user_email": "\(id)@example.com", "subtotal": total,
                        "discount_total": 0, "tax": 0, "total": total,
                        "first_order_item": ["order_id": Int(id) ?? 0, "variant_id": variant, "price": total],
                    ],
                ],
            ])
            return try await daemon.postLemon(payload).json["result"] as? String
        }
        // The bundle's variant decides, whatever the checkout URL's custom data says.
        #expect(try await order("2001", variant: 424242, course: "practical-sqlite", total: 5_900) == "granted")
        #expect(try daemon.count("orders", where: "provider_order_id = '2001' AND product = 'every-course'") == 1)
        // The cheap variant (listed as text in lectern.toml) with the bundle's id in custom data: the variant wins.
        #expect(try await order("2002", variant: 112, course: "every-course", total: 900) == "granted")
        #expect(
            try daemon.count("orders", where: "provider_order_id = '2002' AND product = 'sqlite-pay-what-you-can'")
                == 1)
        // An unmapped variant: the custom data names the product, and its price is checked.
        #expect(try await order("2003", variant: 999, course: "every-course", total: 900) == "flagged")

        // A free trial on Lemon Squeezy (an order of nothing): from the creator's variant it grants; from an
        // unmapped variant, named by custom data, it is flagged.
        #expect(try await order("2004", variant: 424242, course: nil, total: 0) == "granted")
        #expect(try await order("2005", variant: 998, course: "every-course", total: 0) == "flagged")

        // Stripe with tax included in the price (Stripe Tax, inclusive): the subtotal is the catalog's price,
        // the tax inside it is recorded.
        let inclusive = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_inclusive", session: "cs_inclusive", paymentIntent: "pi_inclusive",
                email: "inclusive@example.com", amount: 4_900, subtotal: 4_900, tax: 817))
        #expect(inclusive.json["result"] as? String == "granted")
        #expect(try daemon.count("orders", where: "provider_order_id = 'cs_inclusive' AND tax_amount = 817") == 1)

        // Standard Webhooks from the creator's own backend: list price, discount and tax as it reports them.
        let payload = DaemonHarness.json([
            "type": "payment.succeeded",
            "data": [
                "payment_id": "pay_sw1", "product": "every-course", "email": "sw@example.com", "amount": 5_841,
                "currency": "usd", "list_amount": 5_900, "discount": 590, "tax": 531,
            ],
        ])
        let reply = try await daemon.postStandard(payload, id: "msg_sw1")
        #expect(reply.json["result"] as? String == "granted")
        #expect(
            try daemon.count(
                "orders", where: "provider_order_id = 'pay_sw1' AND discount_amount = 590 AND tax_amount = 531") == 1)
    }

    /// A real browser: the bundle's page (its courses, price and buy button, made by the build), then the
    /// purchase's one link, then a paid lesson of each of the two courses, and the library listing both.
    @Test func aBrowserBuysTheBundleAndReadsBothCoursesWithOneLink() async throws {
        guard chromiumIsInstalled() else { return }
        let daemon = try await DaemonHarness(prepare: Self.mapProviderIDs)
        defer { _ = daemon.stop() }
        let base = "http://127.0.0.1:\(daemon.port)"
        let folder = repoRoot.appendingPathComponent("Tests/artifacts/bundle")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func browse(_ first: String, _ shot: String, then: [(String, String)] = []) throws -> [[String: Any]] {
            let arguments =
                [
                    first,
                    folder.appendingPathComponent(shot).path, "--settle", "1",
                    "--eval", "buy=(document.querySelector('a.buy') || {}).href || ''",
                ] + then.flatMap { ["--then", base + $0.0 + "=" + folder.appendingPathComponent($0.1).path] }
            let run = try browserPeer(arguments)
            try #require(run.status == 0, "browser_peer.py: \(run.stderr)")
            let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return [result] + (result["then"] as? [[String: Any]] ?? [])
        }
        let page = try browse(base + "/bundles/every-course/", "bundle-page.png")
        let text = try #require(page[0]["text"] as? String)
        #expect(text.contains("Every course") && text.contains("$59.00") && text.contains("Practical SQLite"))
        #expect(text.contains("写作变现"))
        #expect(
            (page[0]["values"] as? [String: Any])?["buy"] as? String == "https://buy.example.com/checkout/every-course")

        // Paid through the bundle's Payment Link; the one e-mail's link signs this browser in to both courses.
        let paid = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_browser", session: "cs_browser", paymentIntent: "pi_browser", course: nil,
                amount: 5_900, subtotal: 5_900, paymentLink: Self.bundleLink))
        #expect(paid.json["result"] as? String == "granted")
        let mail = try #require(try await daemon.receivedMail(count: 1).first)
        let read = try browse(
            try daemon.link(in: mail), "bundle-signed-in.png",
            then: [
                ("/learn/practical-sqlite/transactions/", "bundle-sqlite-lesson.png"),
                ("/learn/zhishi-fufei-xiezuo/dingjia/", "bundle-chinese-lesson.png"),
                ("/library/", "bundle-library.png"),
            ])
        #expect(
            read[1]["status"] as? Int == 200 && read[2]["status"] as? Int == 200, "\(read.map { $0["status"] ?? "" })")
        #expect((read[1]["text"] as? String)?.contains("Licensed to ada@example.com") == true)
        #expect((read[2]["text"] as? String)?.isEmpty == false)
        let library = try #require(read[3]["text"] as? String)
        #expect(library.contains("Practical SQLite") && library.contains("写作变现"), "\(library)")
    }
}
