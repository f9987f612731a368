import Crypto
import Foundation
import LecternTestSupport
import Testing

@testable import LecternBench
@testable import LecternCommerce
@testable import LecternCore

/// The creator's store commands against a database lecternd filled from a real webhook.
@Suite(.serialized) struct CreatorCommandTests {
    /// Issue 17: a key made while lecternd runs verifies the CLI's links at once (they failed as "This
    /// link does not work" until a restart), lecternd's own e-mails are signed with it from then on, and
    /// links signed with the old key keep working.
    @Test func aKeyGeneratedWhileTheDaemonRunsVerifiesAtOnce() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let cli = CommandLineTests()
        let root = daemon.site.root
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_1", session: "cs_1", paymentIntent: "pi_1"))
        let mailed = try daemon.link(in: try #require(try await daemon.receivedMail(count: 1).first))
        #expect(try cli.lectern(["keys", "generate"], in: root).status == 0)
        let issued = try cli.lectern(
            ["token", "issue", "--email", "ada@example.com", "--course", "practical-sqlite"], in: root)
        let link = try #require(URL(string: issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let path = link.path + "/?" + (link.query ?? "")
        let opened = try await daemon.request("GET", path)
        #expect(opened.status == 303 && opened.headers["set-cookie"] != nil, "new key's link: \(opened.status)")
        let mailedURL = try #require(URL(string: mailed))
        let old = try await daemon.request("GET", mailedURL.path + "/?" + (mailedURL.query ?? ""))
        #expect(old.status == 303, "old key's link: \(old.status)")
        // lecternd signs its own e-mails with the new key from then on, without a restart.
        func kid(_ link: String) throws -> String? {
            let token = try #require(link.components(separatedBy: "token=").last)
            let header = try #require(token.split(separator: ".").first.flatMap { Base64URL.decode(String($0)) })
            return (try JSONSerialization.jsonObject(with: header) as? [String: Any])?["kid"] as? String
        }
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_2", session: "cs_2", paymentIntent: "pi_2", email: "bo@example.com"))
        let mails = try await daemon.receivedMail(count: 2)
        let second = try daemon.link(in: try #require(mails.first { $0.contains("To: bo@example.com") }))
        #expect(try kid(second) == kid(issued.stdout) && kid(second) != kid(mailed))
        // A made-up key id is still refused (and costs at most one re-read of keys/ a second).
        let forged = try await daemon.request(
            "GET", "/learn/practical-sqlite/?token=eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcGUifQ.e30.x")
        #expect(forged.status == 401)
    }

    /// `lectern outbox`: what did not go out, why, and when it is tried again; never a link.
    @Test func theOutboxListsMailThatFailedWithItsReasonAndNoLink() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let cli = CommandLineTests()
        let root = daemon.site.root
        let empty = try cli.lectern(["outbox"], in: root)
        #expect(empty.status == 0 && empty.stdout.contains("No e-mail is waiting"))
        kill(daemon.smtp.processIdentifier, SIGKILL)  // the mail server goes away
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_1", session: "cs_1", paymentIntent: "pi_1"))
        for _ in 0..<100 where try daemon.count("outbox", where: "attempts > 0") == 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        let listed = try cli.lectern(["outbox"], in: root)
        #expect(listed.status == 0)
        let row = try #require(listed.stdout.split(separator: "\n").first { $0.contains("ada@example.com") })
        let columns = row.split(separator: "\t", omittingEmptySubsequences: false)
        // One attempt or more: on a loaded machine the retry can come before the listing does.
        #expect(columns.count == 7 && (Int(columns[4]) ?? 0) >= 1 && columns[5] != "given up", "\(row)")
        #expect(columns[6].contains("refused") || columns[6].contains("connect"), "\(row)")
        #expect(listed.stdout.contains("1 waiting, 1 after a failure") && !listed.stdout.contains("token="))
    }

    @Test func buyersOrdersGrantRevokeResendTokenAndTrace() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let cli = CommandLineTests()
        let root = daemon.site.root
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_1", session: "cs_1", paymentIntent: "pi_1", email: "ada@example.com"))

        let buyers = try cli.lectern(["buyers"], in: root)
        #expect(buyers.status == 0 && buyers.stdout.contains("ada@example.com\t1\t1\t"))
        let orders = try cli.lectern(["orders"], in: root)
        #expect(orders.stdout.contains("stripe\tcs_1\tada@example.com\tpractical-sqlite\t$49.00\tpaid"))

        // A link by e-mail: the token names the buyer's grant, not the e-mail.
        let issued = try cli.lectern(
            ["token", "issue", "--email", "ADA@example.com", "--course", "practical-sqlite"], in: root)
        #expect(issued.status == 0, "\(issued.stderr)")
        let verified = try cli.lectern(
            ["token", "verify", issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)], in: root)
        #expect(verified.stdout.contains("\"sub\" : \"g_1\""))
        #expect(
            try cli.lectern(
                ["token", "issue", "--email", "nobody@example.com", "--course", "practical-sqlite"], in: root
            ).status == 1)

        // Trace names the buyer and the order.
        try site(root, writesLeakOfGrant: 1)
        let traced = try cli.lectern(["trace", "leak.txt"], in: root)
        #expect(
            traced.status == 0 && traced.stdout.contains("Buyer: ada@example.com")
                && traced.stdout.contains("Order: stripe cs_1"))

        let comp = try cli.lectern(["grant", "--email", "bo@example.com", "--course", "practical-sqlite"], in: root)
        #expect(comp.status == 0 && comp.stdout.contains("grant 2"))
        // Ada's and Bo's copies mixed paragraph by paragraph: both are named, and the bound is printed.
        try site(root, writesMixOf: 1, and: 2)
        let mixed = try cli.lectern(["trace", "mixed.txt"], in: root)
        #expect(mixed.status == 0 && mixed.stdout.contains("mixed from several buyers' copies"), "\(mixed.stdout)")
        #expect(mixed.stdout.contains("Buyer: ada@example.com") && mixed.stdout.contains("Buyer: bo@example.com"))
        #expect(mixed.stdout.contains("checked against 2 grants on record"))
        // Each e-mail waits for the one before: letters to one buyer claimed together would go out as one.
        _ = try await daemon.receivedMail(count: 2)
        // Granting again re-sends the link instead of a second grant; a typo grants nothing (issue 17).
        let again = try cli.lectern(["grant", "--email", "bo@example.com", "--course", "practical-sqlite"], in: root)
        #expect(again.status == 0 && again.stdout.contains("already has practical-sqlite (grant 2)"))
        _ = try await daemon.receivedMail(count: 3)
        let typo = try cli.lectern(["grant", "--email", "bo@example.com", "--course", "practical-sqlit"], in: root)
        #expect(typo.status == 1 && typo.stderr.contains("no course or product `practical-sqlit`"))
        #expect(try daemon.count("grants", where: "order_id IS NULL") == 1)
        #expect(
            try cli.lectern(["resend", "--email", "bo@example.com"], in: root).stdout.contains("Queued one e-mail"))
        let mails = try await daemon.receivedMail(count: 4)
        #expect(
            try cli.lectern(["revoke", "--email", "bo@example.com", "--course", "practical-sqlite"], in: root).stdout
                .contains("Revoked 1"))
        #expect(try cli.lectern(["resend", "--email", "bo@example.com"], in: root).status == 1, "no live grants left")
        #expect(try daemon.count("grants", where: "order_id IS NULL AND revoked_at IS NOT NULL") == 1)
        // Purchase mail + comp mail + the second grant's link + resend mail all reach the SMTP server, each
        // worded for why it was sent, with the course's title (issue 17: all said "Thank you for your
        // purchase" and showed the slug).
        #expect(mails.count == 4)
        #expect(mails.filter { $0.contains("Thank you for buying Practical SQLite.") }.count == 1)
        #expect(mails.filter { $0.contains("has given you Practical SQLite.") }.count == 1)
        #expect(mails.filter { $0.contains("Here is a fresh link, as asked") }.count == 2)
    }

    /// Two buyers' copies of two lessons, alternate paragraphs from each.
    private func site(_ root: URL, writesMixOf first: UInt32, and second: UInt32) throws {
        let watermarker = Watermarker(
            fingerprint: Fingerprint(
                secret: try KeyStore(directory: root.appendingPathComponent("keys")).watermarkSecret()))
        var text: [String] = []
        for lesson in ["wal-mode", "transactions"] {
            let page = try PaidPage.decode(
                try Data(contentsOf: root.appendingPathComponent("paid/practical-sqlite/\(lesson).page")), file: lesson)
            let copies = [first, second].map { grant in
                TraceExperiment.paragraphs(
                    ofHTML: watermarker.render(page, grant: grant, email: "x@example.com", order: "o"))
            }
            text += zip(copies[0], copies[1]).enumerated().map { $0.offset % 2 == 0 ? $0.element.0 : $0.element.1 }
        }
        try text.joined(separator: "\n\n").write(
            to: root.appendingPathComponent("mixed.txt"), atomically: true, encoding: .utf8)
    }

    private func site(_ root: URL, writesLeakOfGrant grant: UInt32) throws {
        let secret = try KeyStore(directory: root.appendingPathComponent("keys")).watermarkSecret()
        let page = try PaidPage.decode(
            try Data(contentsOf: root.appendingPathComponent("paid/practical-sqlite/wal-mode.page")), file: "w")
        let copy = Watermarker(fingerprint: Fingerprint(secret: secret)).render(
            page, grant: grant, email: "ada@example.com", order: "cs_1")
        try TraceExperiment.articleText(copy).write(
            to: root.appendingPathComponent("leak.txt"), atomically: true, encoding: .utf8)
    }
}
