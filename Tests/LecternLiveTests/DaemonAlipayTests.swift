import Foundation
import LecternTestSupport
import Testing

/// Alipay end to end, with no network: lecternd signs the order it sends the browser to Alipay with,
/// python-alipay-sdk (Tests/peers/alipay_peer.py) checks that signature with the app public key and signs
/// the notifications with a test "Alipay" key pair, which lecternd must verify, record once and answer
/// with exactly `success`.
@Suite(.serialized) struct DaemonAlipayTests {
    static let appID = "2021000000000001"
    static let course = "zhishi-fufei-xiezuo"  // the example site's Chinese course, ¥99.00

    /// A daemon selling through Alipay (the example site plus `[alipay]` and the peer's keys).
    static func daemon() async throws -> DaemonHarness {
        try await DaemonHarness { site in
            let keys = site.root.appendingPathComponent("keys")
            try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
            let run = try runProgram("/usr/bin/env", ["python3", peerScript, "keys", keys.path])
            try #require(run.status == 0, "alipay_peer.py keys: \(run.stderr)")
            try site.write(
                "lectern.toml",
                try site.read("lectern.toml")
                    + "\n[alipay]\napp_id = \"\(appID)\"\n"
                    + "gateway = \"https://openapi-sandbox.dl.alipaydev.com/gateway.do\"\n"
            )
        }
    }

    static let peerScript = repoRoot.appendingPathComponent("Tests/peers/alipay_peer.py").path

    /// The course page's form, as a browser posts it; returns the gateway URL lecternd redirected to.
    static func checkout(
        _ daemon: DaemonHarness, email: String, agent: String = "Mozilla/5.0 (X11; Linux)"
    )
        async throws -> String
    {
        let reply = try await daemon.request(
            "POST", "/pay/alipay", body: Data("course=\(course)&email=\(email)".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded", "User-Agent": agent])
        try #require(
            reply.status == 303, "checkout answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.headers["location"])
    }

    /// The SDK's reading of the order lecternd signed (exits non-zero, failing the test, if the signature
    /// does not verify with the app public key).
    static func verifiedOrder(_ daemon: DaemonHarness, _ url: String) throws -> [String: Any] {
        let keys = daemon.site.root.appendingPathComponent("keys").path
        let run = try runProgram("/usr/bin/env", ["python3", peerScript, "verify-order", keys, url])
        try #require(run.status == 0, "python-alipay-sdk: \(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    /// A notification signed by the test "Alipay" key (checked by the SDK's own verify first) and posted.
    static func notify(
        _ daemon: DaemonHarness, _ fields: [String: String], appID: String = appID, tamper: String? = nil
    ) async throws -> DaemonHarness.Reply {
        var signed = fields
        if let tamper { signed["_tamper"] = tamper }
        let keys = daemon.site.root.appendingPathComponent("keys").path
        let run = try runProgram(
            "/usr/bin/env", ["python3", peerScript, "notify", keys, appID],
            input: try JSONSerialization.data(withJSONObject: signed))
        try #require(run.status == 0, "alipay_peer.py notify: \(run.stderr)")
        return try await daemon.request(
            "POST", "/webhooks/alipay", body: Data(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines).utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"])
    }

    static func paid(_ number: String, amount: String = "99.00", status: String = "TRADE_SUCCESS") -> [String: String] {
        [
            "app_id": appID, "out_trade_no": number, "trade_no": "2026112222001\(number.prefix(6))",
            "trade_status": status, "total_amount": amount, "notify_id": UUID().uuidString,
            "notify_type": "trade_status_sync",
            "subject": "写作变现", "gmt_payment": "2026-11-22 19:56:00", "buyer_logon_id": "li***@example.com",
        ]
    }

    @Test func aSignedOrderThenOnePaymentOneGrantOneEmailAndTheReturnPageSignsIn() async throws {
        let daemon = try await Self.daemon()
        defer { _ = daemon.stop() }

        // The order: signed RSA2 with the app key, as the SDK checks it; the price and title from the catalog.
        let desktop = try Self.verifiedOrder(daemon, try await Self.checkout(daemon, email: "li%40example.com"))
        #expect(desktop["app_id"] as? String == Self.appID && desktop["sign_type"] as? String == "RSA2")
        #expect(desktop["method"] as? String == "alipay.trade.page.pay")
        #expect((desktop["notify_url"] as? String)?.hasSuffix("/webhooks/alipay") == true)
        let order = try #require(desktop["biz_content"] as? [String: Any])
        #expect(
            order["total_amount"] as? String == "99.00" && order["product_code"] as? String == "FAST_INSTANT_TRADE_PAY")
        #expect((order["subject"] as? String)?.hasPrefix("写作变现") == true)
        let number = try #require(order["out_trade_no"] as? String)
        #expect(number.count == 32 && number.allSatisfy(\.isHexDigit))
        #expect(try daemon.count("checkouts", where: "out_trade_no = '\(number)' AND email = 'li@example.com'") == 1)
        // A phone gets the mobile-site checkout.
        let phone = try Self.verifiedOrder(
            daemon, try await Self.checkout(daemon, email: "li%40example.com", agent: "Mozilla/5.0 (iPhone) Mobile"))
        #expect(phone["method"] as? String == "alipay.trade.wap.pay")

        // Paid: granted once, answered exactly `success`; Alipay's retry and TRADE_FINISHED change nothing.
        let first = try await Self.notify(daemon, Self.paid(number))
        #expect(first.status == 200 && String(decoding: first.body, as: UTF8.self) == "success")
        #expect(first.headers["content-type"]?.hasPrefix("text/plain") == true)
        for again in [Self.paid(number), Self.paid(number, status: "TRADE_FINISHED")] {
            let reply = try await Self.notify(daemon, again)
            #expect(reply.status == 200 && String(decoding: reply.body, as: UTF8.self) == "success")
        }
        #expect(try daemon.count("orders", where: "provider = 'alipay' AND amount = 9900 AND currency = 'CNY'") == 1)
        #expect(try daemon.count("grants", where: "product = '\(Self.course)' AND revoked_at IS NULL") == 1)
        let mail = try #require(try await daemon.receivedMail(count: 1).first)
        #expect(mail.contains("To: li@example.com"))

        // The browser comes back from Alipay to the claim page with the order number: signed in, once.
        let back = try await daemon.request("GET", "/access/claim?out_trade_no=\(number)&trade_no=x&sign=y")
        #expect(back.status == 303 && back.headers["location"] == "/learn/\(Self.course)/")
        #expect(back.headers["set-cookie"]?.contains("lectern_access=") == true)
        let twice = try await daemon.request("GET", "/access/claim?out_trade_no=\(number)")
        #expect(twice.status == 202 && twice.headers["set-cookie"] == nil)
        #expect(try await daemon.receivedMail(count: 2, timeout: 1).count == 1)
    }

    @Test func refusalsWriteNothingAndRefundsFollowAlipaysTotals() async throws {
        let daemon = try await Self.daemon()
        defer { _ = daemon.stop() }
        let number = try #require(
            (try Self.verifiedOrder(daemon, try await Self.checkout(daemon, email: "wang%40example.com"))["biz_content"]
                as? [String: Any])?["out_trade_no"] as? String)

        // Another app's notification, one changed after signing, one for an order lecternd never placed.
        let otherApp = try await Self.notify(
            daemon, Self.paid(number).merging(["app_id": "2021000000000999"]) { $1 }, appID: "2021000000000999")
        #expect(otherApp.status == 401)
        let forged = try await Self.notify(daemon, Self.paid(number, amount: "0.01"), tamper: "total_amount=99.00")
        #expect(forged.status == 401 && forged.headers["content-type"] == "application/problem+json")
        let unknown = try await Self.notify(daemon, Self.paid(String(repeating: "a", count: 32)))
        #expect(unknown.status == 400)
        let garbage = try await daemon.request("POST", "/webhooks/alipay", body: Data("sign=%ZZ&&=".utf8))
        #expect(garbage.status == 400)
        // A closed, never-paid trade: recorded, no effect.
        let closed = try await Self.notify(daemon, Self.paid(number, status: "TRADE_CLOSED"))
        #expect(closed.status == 200 && String(decoding: closed.body, as: UTF8.self) == "success")
        #expect(try daemon.count("orders") == 0 && daemon.count("grants") == 0)
        #expect(try daemon.count("webhook_events") == 1)

        // Paid less than the order asked: recorded and flagged for the creator, no access, no e-mail.
        let second = try #require(
            (try Self.verifiedOrder(daemon, try await Self.checkout(daemon, email: "zhao%40example.com"))["biz_content"]
                as? [String: Any])?["out_trade_no"] as? String)
        let short = try await Self.notify(daemon, Self.paid(second, amount: "9.90"))
        #expect(short.status == 200 && String(decoding: short.body, as: UTF8.self) == "success")
        #expect(try daemon.count("orders", where: "status = 'flagged' AND flag LIKE '%the order asked for 9900%'") == 1)
        #expect(try daemon.count("grants") == 0)

        // Paid; a partial refund keeps access (and is recorded); the full refund withdraws it.
        _ = try await Self.notify(daemon, Self.paid(number))
        let refund = { (fee: String, request: String, status: String) in
            Self.paid(number, status: status).merging([
                "refund_fee": fee, "out_biz_no": request, "gmt_refund": "2026-11-23 10:00:00",
            ]) { $1 }
        }
        let partial = try await Self.notify(daemon, refund("30.00", "r1", "TRADE_SUCCESS"))
        #expect(partial.status == 200 && String(decoding: partial.body, as: UTF8.self) == "success")
        #expect(try daemon.count("orders", where: "status = 'paid' AND refunded_amount = 3000") == 1)
        #expect(try daemon.count("grants", where: "revoked_at IS NULL") == 1)
        let full = try await Self.notify(daemon, refund("99.00", "r2", "TRADE_CLOSED"))
        #expect(String(decoding: full.body, as: UTF8.self) == "success")
        #expect(try daemon.count("grants", where: "revoked_at IS NOT NULL AND reason = 'refunded'") == 1)
        #expect(try daemon.count("orders", where: "provider_order_id = '\(number)' AND status = 'refunded'") == 1)
        // A late retry of the partial refund changes nothing.
        _ = try await Self.notify(daemon, refund("30.00", "r1", "TRADE_SUCCESS"))
        #expect(try daemon.count("orders", where: "provider_order_id = '\(number)' AND status = 'refunded'") == 1)
    }
}
