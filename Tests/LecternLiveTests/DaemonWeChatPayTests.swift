import Foundation
import LecternTestSupport
import Testing

/// WeChat Pay API v3 end to end, with no network: a local server (Tests/peers/wechatpay_peer.py) plays the
/// API, checking lecternd's `Authorization` with the merchant public key and answering signed with a test
/// platform key; notifications are built the same way and accepted by wechatpayv3's own `callback()` before
/// lecternd gets them. The QR code is read back from Chromium's screenshot by Debian's zbarimg.
@Suite(.serialized) struct DaemonWeChatPayTests {
    static let course = "zhishi-fufei-xiezuo"  // the example site's Chinese course, ¥99.00
    static let peerScript = repoRoot.appendingPathComponent("Tests/peers/wechatpay_peer.py").path
    static let merchant = "1900000109"
    static let appID = "wx8888888888888888"
    static let keyID = "PUB_KEY_ID_0000000000000024101100397200000006"

    /// A daemon selling through WeChat Pay in Chinese, and the API peer (`forge`: it signs with a wrong key).
    final class Shop: @unchecked Sendable {
        let daemon: DaemonHarness
        let api = Process()
        let log: URL

        init(forge: Bool = false) async throws {
            let api = self.api
            var log = URL(fileURLWithPath: "/")
            daemon = try await DaemonHarness { site in
                let keys = site.root.appendingPathComponent("keys")
                try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
                let run = try runProgram(
                    "/usr/bin/env", ["python3", DaemonWeChatPayTests.peerScript, "keys", keys.path])
                try #require(run.status == 0, "wechatpay_peer.py keys: \(run.stderr)")
                log = site.root.appendingPathComponent("wechatpay-api.log")
                api.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                api.arguments =
                    ["python3", DaemonWeChatPayTests.peerScript, "serve", keys.path, log.path]
                    + (forge ? ["forge"] : [])
                let out = Pipe()
                api.standardOutput = out
                api.standardError = FileHandle.nullDevice
                try api.run()
                let port = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                try #require(Int(port) != nil, "the WeChat Pay API peer did not start")
                var toml = try site.read("lectern.toml").replacingOccurrences(
                    of: "language = \"en\"", with: "language = \"zh-CN\"")
                toml += """

                    [wechatpay]
                    mchid = "\(DaemonWeChatPayTests.merchant)"
                    appid = "\(DaemonWeChatPayTests.appID)"
                    merchant_serial_no = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
                    platform_key_id = "\(DaemonWeChatPayTests.keyID)"
                    api = "http://127.0.0.1:\(port)"

                    """
                try site.write("lectern.toml", toml)
            }
            self.log = log
        }

        func stop() {
            if api.isRunning { kill(api.processIdentifier, SIGKILL) }
            _ = daemon.stop()
        }

        /// What the API peer saw: each order with whether its signature verified, and each answer.
        func apiLog() throws -> [[String: Any]] {
            try String(contentsOf: log, encoding: .utf8).split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        /// The course page's form with the WeChat Pay button, as a browser posts it.
        func checkout(
            email: String, agent: String = "Mozilla/5.0 (X11; Linux x86_64)"
        ) async throws
            -> DaemonHarness.Reply
        {
            try await daemon.request(
                "POST", "/pay/wechatpay", body: Data("course=\(DaemonWeChatPayTests.course)&email=\(email)".utf8),
                headers: ["Content-Type": "application/x-www-form-urlencoded", "User-Agent": agent])
        }

        /// A notification: encrypted and signed by the peer, decoded by wechatpayv3 first, then posted.
        func notify(
            _ type: String, _ resource: [String: Any], tamper: Bool = false
        ) async throws
            -> DaemonHarness.Reply
        {
            let keys = daemon.site.root.appendingPathComponent("keys").path
            let run = try runProgram(
                "/usr/bin/env", ["python3", DaemonWeChatPayTests.peerScript, "notify", keys],
                input: try JSONSerialization.data(withJSONObject: ["event_type": type, "resource": resource]))
            try #require(run.status == 0, "wechatpay_peer.py notify: \(run.stderr)")
            let message = try #require(
                try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            var headers = try #require(message["headers"] as? [String: String])
            var body = try #require(message["body"] as? String)
            if tamper { body = body.replacingOccurrences(of: "支付成功", with: "支付成功!") }
            headers["Content-Type"] = "application/json"
            return try await daemon.request("POST", "/webhooks/wechatpay", body: Data(body.utf8), headers: headers)
        }
    }

    static func paid(_ number: String, total: Int = 9_900) -> [String: Any] {
        [
            "mchid": merchant, "appid": appID, "out_trade_no": number,
            "transaction_id": "4200000000\(number.prefix(8))",
            "trade_type": "NATIVE", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
            "success_time": "2026-11-22T20:00:00+08:00", "payer": ["openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"],
            "amount": ["total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"],
        ]
    }

    static func refund(_ number: String, refund: Int, refundNo: String) -> [String: Any] {
        [
            "mchid": merchant, "out_trade_no": number, "transaction_id": "4200000000", "out_refund_no": refundNo,
            "refund_id": "50000000\(refundNo)", "refund_status": "SUCCESS", "success_time": "2026-11-23T10:00:00+08:00",
            "amount": ["total": 9_900, "refund": refund, "payer_total": 9_900, "payer_refund": refund],
        ]
    }

    @Test func aSignedOrderAQRCodeThatScansThePaymentAndTheBrowserMovesOn() async throws {
        guard chromiumIsInstalled() else { return }
        let shop = try await Shop()
        defer { shop.stop() }

        // The order: placed through the API with lecternd's verified signature; the page shows its QR code.
        let page = try await shop.checkout(email: "li%40example.com")
        #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("<html lang=\"zh-CN\"") && html.contains("¥99.00") && html.contains("微信"))
        let log = try shop.apiLog()
        let request = try #require(log.first)
        #expect(request["path"] as? String == "/v3/pay/transactions/native" && request["verified"] as? Bool == true)
        let order = try #require(request["order"] as? [String: Any])
        #expect(order["mchid"] as? String == Self.merchant && order["appid"] as? String == Self.appID)
        #expect((order["amount"] as? [String: Any])?["total"] as? Int == 9_900)
        #expect((order["notify_url"] as? String)?.hasSuffix("/webhooks/wechatpay") == true)
        let number = try #require(order["out_trade_no"] as? String)
        let codeURL = try #require((log.last?["answer"] as? [String: Any])?["code_url"] as? String)
        #expect(html.contains("data-order=\"\(number)\"") && !html.contains(codeURL))

        // The QR code, as a phone's camera would read it off the screen.
        let artifacts = repoRoot.appendingPathComponent("Tests/artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        try shop.daemon.site.write("public/pay-wechat.html", html)
        let shot = artifacts.appendingPathComponent("wechat-pay-zh-CN.png")
        let url = "http://127.0.0.1:\(shop.daemon.port)/pay-wechat.html"
        let opened = try browserPeer([url, shot.path])
        try #require(opened.status == 0, "browser_peer.py: \(opened.stderr)")
        let scanned = try runProgram("/usr/bin/zbarimg", ["--raw", "-q", shot.path])
        #expect(scanned.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == codeURL)
        let status = try await shop.daemon.request("GET", "/pay/status?out_trade_no=\(number)")
        #expect(status.status == 200 && status.json["paid"] as? Bool == false)

        // The buyer pays while the page waits: the page notices and signs the browser in. The browser runs as
        // its own process (a blocked test thread must not be what delays the payment).
        let browserProcess = Process()
        browserProcess.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        browserProcess.arguments = [
            "python3", repoRoot.appendingPathComponent("Tests/peers/browser_peer.py").path, url,
            artifacts.appendingPathComponent("wechat-pay-after.png").path, "--wait-for-url", "/learn/", "--wait", "60",
        ]
        let output = Pipe()
        browserProcess.standardOutput = output
        browserProcess.standardError = FileHandle.nullDevice
        try browserProcess.run()
        try await Task.sleep(for: .seconds(1))
        let reply = try await shop.notify("TRANSACTION.SUCCESS", Self.paid(number))
        #expect(reply.status == 204 && reply.body.isEmpty)
        // The peer ends itself within its own --timeout; polled, as `waitUntilExit` can hang on Linux.
        let followed = output.fileHandleForReading.readDataToEndOfFile()
        while browserProcess.isRunning { usleep(2_000) }
        try #require(browserProcess.terminationStatus == 0, "browser_peer.py failed")
        let browser = try #require(try JSONSerialization.jsonObject(with: followed) as? [String: Any])
        #expect((browser["url"] as? String)?.contains("/learn/\(Self.course)/") == true, "\(browser["url"] ?? "")")
        #expect(
            (browser["cookies"] as? [[String: Any]])?.contains { $0["name"] as? String == "lectern_access" } == true)
        #expect(try shop.daemon.count("grants", where: "product = '\(Self.course)' AND revoked_at IS NULL") == 1)
        #expect(try await shop.daemon.receivedMail(count: 1).first?.contains("To: li@example.com") == true)

        // WeChat Pay's retry is one event.
        let again = try await shop.notify("TRANSACTION.SUCCESS", Self.paid(number))
        #expect(again.status == 204)
        #expect(try shop.daemon.count("orders", where: "provider = 'wechatpay'") == 1)
    }

    @Test func refusalsWriteNothingAndRefundsAddUp() async throws {
        let shop = try await Shop()
        defer { shop.stop() }
        // A phone goes to WeChat Pay's H5 page, which returns to the claim page.
        let phone = try await shop.checkout(email: "wang%40example.com", agent: "Mozilla/5.0 (iPhone) Mobile")
        #expect(phone.status == 303)
        let location = try #require(phone.headers["location"])
        #expect(location.hasPrefix("https://wx.tenpay.com/") && location.contains("&redirect_url=http"))
        let number = try #require((try shop.apiLog().first?["order"] as? [String: Any])?["out_trade_no"] as? String)
        #expect(location.contains("out_trade_no%3D\(number)"))
        #expect(try shop.apiLog().first?["path"] as? String == "/v3/pay/transactions/h5")
        let scene = try shop.apiLog().first?["order"] as? [String: Any]
        #expect((scene?["scene_info"] as? [String: Any])?["payer_client_ip"] as? String == "127.0.0.1")

        // Changed after signing; another merchant's; an order lecternd never placed; not JSON.
        #expect(try await shop.notify("TRANSACTION.SUCCESS", Self.paid(number), tamper: true).status == 401)
        var foreign = Self.paid(number)
        foreign["mchid"] = "1900000999"
        #expect(try await shop.notify("TRANSACTION.SUCCESS", foreign).status == 401)
        #expect(
            try await shop.notify("TRANSACTION.SUCCESS", Self.paid(String(repeating: "b", count: 32))).status == 400)
        let unsigned = try await shop.daemon.request("POST", "/webhooks/wechatpay", body: Data("{}".utf8))
        #expect(unsigned.status == 401 && unsigned.headers["content-type"] == "application/problem+json")
        #expect(try shop.daemon.count("webhook_events") == 0)
        #expect(try shop.daemon.count("orders") == 0)

        // Paid 1 fen: flagged, no access. Then the real payment's order (a second checkout) is paid.
        let short = try await shop.notify("TRANSACTION.SUCCESS", Self.paid(number, total: 1))
        #expect(short.status == 204)
        #expect(try shop.daemon.count("orders", where: "status = 'flagged'") == 1)
        #expect(try shop.daemon.count("grants") == 0)
        _ = try await shop.checkout(email: "zhao%40example.com")
        let second = try #require(
            (try shop.apiLog().compactMap { $0["order"] as? [String: Any] }.last)?["out_trade_no"] as? String)
        #expect(try await shop.notify("TRANSACTION.SUCCESS", Self.paid(second)).status == 204)

        // Two partial refunds keep access; the one that brings them to the amount paid withdraws it.
        #expect(
            try await shop.notify("REFUND.SUCCESS", Self.refund(second, refund: 3_000, refundNo: "r1")).status == 204)
        #expect(
            try await shop.notify("REFUND.SUCCESS", Self.refund(second, refund: 3_000, refundNo: "r1")).status == 204)
        #expect(
            try await shop.notify("REFUND.SUCCESS", Self.refund(second, refund: 4_000, refundNo: "r2")).status == 204)
        #expect(
            try shop.daemon.count("orders", where: "provider_order_id = '\(second)' AND refunded_amount = 7000") == 1)
        #expect(try shop.daemon.count("grants", where: "revoked_at IS NULL") == 1)
        #expect(
            try await shop.notify("REFUND.SUCCESS", Self.refund(second, refund: 2_900, refundNo: "r3")).status == 204)
        #expect(try shop.daemon.count("grants", where: "revoked_at IS NOT NULL AND reason = 'refunded'") == 1)
        #expect(try shop.daemon.count("orders", where: "provider_order_id = '\(second)' AND status = 'refunded'") == 1)
    }

    @Test func anAnswerWithoutWeChatPaysSignatureIsNotShown() async throws {
        let shop = try await Shop(forge: true)
        defer { shop.stop() }
        let page = try await shop.checkout(email: "li%40example.com")
        #expect(page.status == 502 && page.json["type"] as? String == "https://lectern.dev/problems/provider-failed")
        #expect(try shop.apiLog().first?["verified"] as? Bool == true)
    }
}
