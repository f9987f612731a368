import Foundation
import GRDB
import LecternCore
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternStore

/// The gate over real loopback HTTP: webhook → e-mail → signed link → cookie → watermarked lesson,
/// with curl as the reader's HTTP client (it keeps cookies and follows redirects like a browser).
@Suite(.serialized) struct DaemonGateTests {
    let lesson = "/learn/practical-sqlite/schema-design/"

    /// A Stripe purchase by `email`; returns the signed link from the e-mail the SMTP server received.
    func buy(_ daemon: DaemonHarness, email: String = "ada@example.com", id: String = "1") async throws -> String {
        let reply = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_\(id)", session: "cs_\(id)", paymentIntent: "pi_\(id)", email: email))
        #expect(reply.json["result"] as? String == "granted")
        let mail = try #require(try await daemon.receivedMail(count: Int(id) ?? 1).last)
        return try daemon.link(in: mail)
    }

    @Test func signedLinkOpensTheWatermarkedLessonAndARefundClosesIt() async throws {
        // A paid lesson with an image: the image goes to the paid bundle and is served behind the gate.
        let daemon = try await DaemonHarness { site in
            let file = "content/practical-sqlite/01-foundations/03-schema-design.md"
            try site.write(file, try site.read(file) + "\n![Paid diagram](../images/file-layout.svg)\n")
        }
        defer { _ = daemon.stop() }
        let link = try await buy(daemon)
        let jar = daemon.site.root.appendingPathComponent("cookies.txt")

        // The sign-in: 303 to the same URL without the token, with the access cookie.
        let signIn = try daemon.curl(link, jar: jar)
        #expect(signIn.status == 303)
        #expect(signIn.header("Location") == ["/learn/practical-sqlite/"])
        #expect(signIn.header("Referrer-Policy") == ["no-referrer"])
        let cookie = try #require(signIn.header("Set-Cookie").first)
        #expect(
            cookie.hasPrefix("lectern_access=v2.") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/learn/practical-sqlite/") && !cookie.contains("Secure"))

        // Following it lands on the first paid lesson, with the buyer's stamp and nothing cacheable.
        let page = try daemon.curl("/learn/practical-sqlite/", jar: jar, follow: true)
        #expect(page.status == 200 && page.url.hasSuffix(lesson) && !page.url.contains("token"))
        // Lectern's own order number in the stamp, never the provider's session id (a claim credential).
        #expect(
            page.body.range(
                of: "Licensed to ada@example.com · order [0-9A-Z]{4}-[0-9A-Z]{4}", options: .regularExpression) != nil)
        #expect(!page.body.contains("cs_1"))
        #expect(
            page.header("Cache-Control") == ["private, no-store"] && page.header("Referrer-Policy") == ["same-origin"])

        // `lectern trace` on the page's text names the buyer.
        let leaked = daemon.site.root.appendingPathComponent("leaked.html")
        try page.body.write(to: leaked, atomically: true, encoding: .utf8)
        let trace = try runProgram(
            try #require(CommandLineTests.binary).path, ["trace", "--root", daemon.site.root.path, leaked.path])
        #expect(trace.status == 0 && trace.stdout.contains("Buyer: ada@example.com"), "\(trace.stdout)\(trace.stderr)")

        // The paid lesson's image needs the cookie too.
        let image = try daemon.curl("/learn/practical-sqlite/images/file-layout.svg", jar: jar)
        #expect(
            image.status == 200 && image.header("Content-Type") == ["image/svg+xml"]
                && image.header("Cache-Control") == ["private, no-store"])
        #expect(try daemon.curl("/learn/practical-sqlite/images/file-layout.svg").status == 303)

        // Refund: the same cookie now gets 403 and the withdrawn page; an API client gets problem JSON.
        let refund = try await daemon.postStripe(DaemonHarness.stripeRefund(event: "evt_refund", paymentIntent: "pi_1"))
        #expect(refund.json["result"] as? String == "refunded")
        let after = try daemon.curl(lesson, jar: jar)
        #expect(after.status == 403 && after.body.contains("Access withdrawn") && !after.body.contains("Licensed to"))
        let json = try daemon.curl(lesson, jar: jar, arguments: ["-H", "Accept: application/json"])
        #expect(
            json.status == 403 && json.header("Content-Type") == ["application/problem+json"]
                && json.body.contains("/access-withdrawn\""))
        // The old link itself is refused too.
        #expect(try daemon.curl(link).status == 403)
    }

    @Test func badTokensAndCookiesAreRefusedWithTheRightPage() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let link = try await buy(daemon)
        let keys = KeyStore(directory: daemon.site.root.appendingPathComponent("keys"))
        let signer = try TokenSigner(keys: keys)
        let json = ["-H", "Accept: application/json"]
        func code(_ reply: DaemonHarness.CurlReply) -> String {
            (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])?["type"] as? String
                ?? "none: \(reply.body.prefix(80))"
        }

        // Tampered signature: invalid link, with the re-send form for browsers.
        var tampered = link
        let last = tampered.removeLast()
        tampered.append(last == "A" ? "B" : "A")
        let bad = try daemon.curl(tampered)
        #expect(bad.status == 401 && bad.body.contains("action=\"/access/resend\"") && bad.header("Set-Cookie").isEmpty)
        #expect(code(try daemon.curl(tampered, arguments: json)).hasSuffix("/invalid-link"))

        // A valid token for another product does not open this course.
        let other = try signer.sign(
            AccessClaims(subject: "g_1", audience: "another-course", issuedAt: Date(), lifetime: 3_600))
        let wrong = try daemon.curl("/learn/practical-sqlite/?token=\(other)", arguments: json)
        #expect(wrong.status == 403 && code(wrong).hasSuffix("/other-course"))

        // Expired token: the "get a fresh link" page.
        let old = try signer.sign(
            AccessClaims(
                subject: "g_1", audience: "practical-sqlite", issuedAt: Date().addingTimeInterval(-7_200),
                lifetime: 3_600))
        let expired = try daemon.curl("/learn/practical-sqlite/?token=\(old)")
        #expect(expired.status == 401 && expired.body.contains("expired") && expired.body.contains("name=\"email\""))

        // A key the site does not have (rotated out, or someone else's).
        let strangerKeys = KeyStore(directory: daemon.site.root.appendingPathComponent("stranger-keys"))
        try strangerKeys.generate()
        let foreign = try TokenSigner(keys: strangerKeys).sign(
            AccessClaims(subject: "g_1", audience: "practical-sqlite", issuedAt: Date(), lifetime: 3_600))
        #expect(
            code(try daemon.curl("/learn/practical-sqlite/?token=\(foreign)", arguments: json)).hasSuffix(
                "/invalid-link"))

        // A token naming a grant that does not exist.
        let ghost = try signer.sign(
            AccessClaims(subject: "g_999", audience: "practical-sqlite", issuedAt: Date(), lifetime: 3_600))
        #expect(try daemon.curl("/learn/practical-sqlite/?token=\(ghost)").status == 401)

        // No token, no cookie: browsers go to the landing page with the buy button; API clients get 401.
        let anonymous = try daemon.curl(lesson)
        #expect(anonymous.status == 303 && anonymous.header("Location") == ["/courses/practical-sqlite/"])
        #expect(try daemon.curl(lesson, arguments: json).status == 401)

        // A forged cookie counts as none; an expired genuine one gets the re-send page.
        let cookies = AccessCookie(secret: try keys.watermarkSecret())
        let forged = "v1.1.\(Int(Date().timeIntervalSince1970) + 999).AAAA"
        #expect(try daemon.curl(lesson, arguments: ["-b", "lectern_access=\(forged)"]).status == 303)
        let stale = cookies.encode(
            .init(grant: 1, expiresAt: Int(Date().timeIntervalSince1970) - 10), course: "practical-sqlite")
        let staleReply = try daemon.curl(lesson, arguments: ["-b", "lectern_access=\(stale)"])
        #expect(staleReply.status == 401 && staleReply.body.contains("name=\"email\""))
        // A cookie made for another course does not open this one.
        let moved = cookies.encode(
            .init(grant: 1, expiresAt: Int(Date().timeIntervalSince1970) + 999), course: "another-course")
        #expect(try daemon.curl(lesson, arguments: ["-b", "lectern_access=\(moved)"]).status == 303)
    }

    @Test func dripLessonsOpenOnTheirDay() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let link = try await buy(daemon)
        let jar = daemon.site.root.appendingPathComponent("cookies.txt")
        _ = try daemon.curl(link, jar: jar)
        // Lesson 7 opens 14 days after the purchase.
        let locked = try daemon.curl("/learn/practical-sqlite/backups/", jar: jar)
        let opens = ReaderWording.english.date(Date().addingTimeInterval(14 * 86_400))
        #expect(
            locked.status == 403 && locked.body.contains("available on") && locked.body.contains(opens)
                && !locked.body.contains("Licensed to"))
        // Fifteen days later (moved back in the store), it is served.
        let store = try daemon.openStore()
        try store.write {
            try $0.execute(
                sql: "UPDATE grants SET starts_at = ?",
                arguments: [Store.timestamp(Date().addingTimeInterval(-15 * 86_400))])
        }
        let open = try daemon.curl("/learn/practical-sqlite/backups/", jar: jar)
        #expect(open.status == 200 && open.body.contains("Licensed to ada@example.com"))
    }

    /// A real browser: headless Chromium follows the signed link (DevTools protocol, Tests/peers/browser_peer.py),
    /// lands on the lesson with the token gone from the address bar and an HttpOnly cookie set.
    @Test func chromiumOpensTheSignedLinkAndLandsOnTheLesson() async throws {
        guard chromiumIsInstalled() else { return }
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let link = try await buy(daemon)
        try FileManager.default.createDirectory(at: BrowserWatermarkTests.artifacts, withIntermediateDirectories: true)
        let shot = BrowserWatermarkTests.artifacts.appendingPathComponent("gate-signed-link-lesson.png")
        try? FileManager.default.removeItem(at: shot)
        let run = try browserPeer([link, shot.path])
        try #require(run.status == 0, "browser_peer.py failed: \(run.stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])

        #expect(seen["url"] as? String == "http://127.0.0.1:\(daemon.port)\(lesson)")
        #expect(seen["status"] as? Int == 200)
        let cookies = try #require(seen["cookies"] as? [[String: Any]])
        let access = try #require(cookies.first { $0["name"] as? String == AccessCookie.name })
        #expect(
            access["httpOnly"] as? Bool == true && access["sameSite"] as? String == "Lax"
                && access["path"] as? String == "/learn/practical-sqlite/")
        #expect(
            !(seen["document_cookie"] as? String ?? "x").contains(AccessCookie.name),
            "scripts must not read the access cookie")
        // What the reader sees carries the visible stamp and, in its text, the buyer's invisible mark.
        let text = try #require(seen["text"] as? String)
        #expect(text.contains("Licensed to ada@example.com"))
        let secret = try KeyStore(directory: daemon.site.root.appendingPathComponent("keys")).watermarkSecret()
        guard case .traced(grant: 1, _, _) = LeakTracer(fingerprint: Fingerprint(secret: secret)).trace(text) else {
            Issue.record("the browser's text did not trace to grant 1")
            return
        }
        #expect(try Data(contentsOf: shot).count > 10_000)
    }

    /// Issue 17: a buyer on a new device had no way back in from any page they could reach. Every paid
    /// course's landing page now has "Already bought? E-mail me my link": the form, sent as a browser
    /// would, queues a fresh link that opens the course.
    @Test func aBuyerOnANewDeviceGetsALinkFromTheCoursePage() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_1", session: "cs_1", paymentIntent: "pi_1"))
        _ = try await daemon.receivedMail(count: 1)
        let landing = String(
            decoding: try await daemon.request("GET", "/courses/practical-sqlite/").body, as: UTF8.self)
        let form = try #require(landing.range(of: "<details class=\"owner\" data-course=\"practical-sqlite\">"))
            .upperBound
        let tail = landing[form...]
        #expect(tail.contains("action=\"http://127.0.0.1:8080/access/resend\""), "posts to the daemon at base_url")
        #expect(tail.contains("name=\"course\" value=\"practical-sqlite\"") && tail.contains("Already bought?"))
        let sent = try await daemon.request(
            "POST", "/access/resend", body: Data("course=practical-sqlite&email=ada%40example.com".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(sent.status == 202 || sent.status == 200, "\(sent.status)")
        let mails = try await daemon.receivedMail(count: 2)
        let fresh = try daemon.link(in: try #require(mails.last))
        let url = try #require(URL(string: fresh))
        let opened = try await daemon.request("GET", url.path + "/?" + (url.query ?? ""))
        #expect(opened.status == 303 && opened.headers["set-cookie"] != nil)
    }
}
