import Foundation
import LecternTestSupport
import Testing

/// Every link e-mail as the buyer reads it — a purchase of two courses (one e-mail), a re-send, a comp —
/// in English and in Chinese, received by the SMTP peer and rendered by Chromium into
/// Tests/artifacts/emails/ for review. The assertions are what each one must say.
@Suite(.serialized) struct EmailScreenshotTests {
    static let folder = BrowserWatermarkTests.artifacts.appendingPathComponent("emails")

    /// One received message: its decoded subject and its plain-text body.
    struct Received {
        var subject: String
        var to: String
        var body: String

        init(_ raw: String) {
            let normalized = raw.replacingOccurrences(of: "\r\n", with: "\n")
            let parts = normalized.components(separatedBy: "\n\n")
            let head = parts.first ?? ""
            body = parts.dropFirst().joined(separator: "\n\n")
            // Folded header lines continue the one before.
            let lines = head.replacingOccurrences(of: "\n ", with: " ").split(separator: "\n")
            func header(_ name: String) -> String {
                lines.first { $0.hasPrefix(name + ": ") }.map { String($0.dropFirst(name.count + 2)) } ?? ""
            }
            to = header("To")
            subject = header("Subject").split(separator: " ").map { word -> String in
                guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return String(word) }
                let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
                return Data(base64Encoded: String(payload)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
            }.joined(separator: header("Subject").hasPrefix("=?") ? "" : " ")
        }
    }

    func render(_ mail: Received, _ name: String) throws -> String {
        // The signed link is a bearer credential, even a test key's: the artifact shows its place, not it.
        let body = mail.body.replacingOccurrences(
            of: #"\?token=[A-Za-z0-9_.\-]+"#, with: "?token=…", options: .regularExpression)
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        }
        let html = """
            <!doctype html><html><head><meta charset="utf-8"><style>
            body { font: 15px/1.5 sans-serif; margin: 24px; color: #222; }
            dl { border-bottom: 1px solid #ccc; padding-bottom: 8px; } dt { float: left; width: 5em; color: #777; }
            pre { white-space: pre-wrap; font: inherit; }
            </style></head><body><main><dl><dt>To</dt><dd>\(escape(mail.to))</dd>
            <dt>Subject</dt><dd><strong>\(escape(mail.subject))</strong></dd></dl><pre>\(escape(body))</pre></main>
            </body></html>
            """
        let file = Self.folder.appendingPathComponent("\(name).html")
        try html.write(to: file, atomically: true, encoding: .utf8)
        let run = try browserPeer([
            file.absoluteString,
            Self.folder.appendingPathComponent("\(name).png").path, "--width", "640", "--height", "720",
        ])
        try #require(run.status == 0, "browser_peer.py: \(run.stderr)")
        try? FileManager.default.removeItem(at: file)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        return result["text"] as? String ?? ""
    }

    /// A purchase of both courses in a row, a comp for another buyer, and the first buyer's re-send.
    func threeEmails(_ daemon: DaemonHarness) async throws -> (purchase: Received, comp: Received, resend: Received) {
        _ = try await daemon.postStripeInARow([
            DaemonHarness.stripeCheckout(event: "evt_1", session: "cs_1", paymentIntent: "pi_1"),
            DaemonHarness.stripeCheckout(
                event: "evt_2", session: "cs_2", paymentIntent: "pi_2", course: "zhishi-fufei-xiezuo", amount: 9_900,
                currency: "cny"),
        ])
        let purchase = Received(try #require(try await daemon.receivedMail(count: 1, timeout: 30).first))
        let granted = try CommandLineTests().lectern(
            ["grant", "--email", "bo@example.com", "--course", "practical-sqlite"], in: daemon.site.root)
        #expect(granted.status == 0)
        let comp = Received(try #require(try await daemon.receivedMail(count: 2, timeout: 30).last))
        #expect(try daemon.curl("/access/resend", arguments: ["-d", "email=ada@example.com"]).status == 202)
        let resend = Received(try #require(try await daemon.receivedMail(count: 3).last))
        return (purchase, comp, resend)
    }

    @Test func everyLinkEMailInEnglishAndChinese() async throws {
        guard chromiumIsInstalled() else { return }
        try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)

        let english = try await DaemonHarness(mailConfig: "hold_seconds = 8\n")
        let (purchase, comp, resend) = try await threeEmails(english)
        _ = english.stop()
        #expect(purchase.to == "ada@example.com" && comp.to == "bo@example.com")
        #expect(purchase.subject.hasPrefix("Your access to Practical SQLite, 写作变现：把你的专业知识做成一门付费课 · "))
        #expect(comp.subject.hasPrefix("You have been given Practical SQLite · "))
        #expect(resend.subject.hasPrefix("Your new link to Practical SQLite, 写作变现"))
        for (mail, name) in [(purchase, "en-purchase"), (comp, "en-comp"), (resend, "en-resend")] {
            let text = try render(mail, name)
            // One link, every course owned listed; where to get a fresh link later (a re-send was just asked for).
            #expect(text.contains("?token=…") && text.contains("• Practical SQLite"), "\(name): \(text)")
            #expect(text.contains("/library/") != name.hasSuffix("resend"), "\(name): \(text)")
        }

        let chinese = try await DaemonHarness(mailConfig: "hold_seconds = 8\n") { site in
            try site.write(
                "lectern.toml",
                try site.read("lectern.toml").replacingOccurrences(
                    of: "language = \"en\"", with: "language = \"zh-CN\""))
        }
        let (zhPurchase, zhComp, zhResend) = try await threeEmails(chinese)
        _ = chinese.stop()
        #expect(zhPurchase.subject.hasPrefix("《Practical SQLite》、《写作变现：把你的专业知识做成一门付费课》的访问链接 · "))
        #expect(zhComp.subject.hasPrefix("你获赠了《Practical SQLite》 · "))
        #expect(zhResend.subject.hasPrefix("《Practical SQLite》、《写作变现"))
        for (mail, name) in [(zhPurchase, "zh-purchase"), (zhComp, "zh-comp"), (zhResend, "zh-resend")] {
            let text = try render(mail, name)
            #expect(text.contains("天内有效") && text.contains("/courses/practical-sqlite/"), "\(name): \(text)")
            #expect(text.contains("/library/") != name.hasSuffix("resend"), "\(name): \(text)")
            #expect(!text.contains("Thank you") && !text.contains("The link works"), "\(name): English left")
        }
    }
}
