import Foundation
import GRDB
import LecternTestSupport
import Logging
import Testing

@testable import LecternCommerce
@testable import LecternCore
@testable import LecternStore

/// Link e-mails are queued as letters (kind and grant) and written when sent: letters to one buyer due
/// together become one e-mail listing everything they own, a refund before sending stops the e-mail, and
/// no signed link rests in the database.
@Suite struct LinkLetterTests {
    final class Mailbox: MailTransport, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var messages: [(to: String, subject: String, body: String)] = []

        func send(to recipient: EmailAddress, subject: String, body: String, messageID: String) async throws {
            lock.withLock { messages.append((recipient.value, subject, body)) }
        }
    }

    /// The example site (Practical SQLite and a Chinese course), built in `language`, with a store and keys.
    struct Shop {
        let site: TempSite
        let store: Store
        let links: AccessLinks
        let mailbox = Mailbox()
        let sender: OutboxSender

        init(language: String = "en") throws {
            site = try TempSite(withExampleContent: true)
            try site.write(
                "lectern.toml",
                try site.read("lectern.toml").replacingOccurrences(
                    of: "language = \"en\"", with: "language = \"\(language)\""))
            try site.build()
            let manifest = try BuildManifest.load(from: site.root.appendingPathComponent("paid/manifest.json"))
            let keys = KeyStore(directory: site.root.appendingPathComponent("keys"))
            try keys.generate()
            store = try openTestStore(sqlitePath: site.root.appendingPathComponent("shop.sqlite").path)
            links = AccessLinks(
                signer: try TokenSigner(keys: keys), baseURL: "https://school.example", lifetime: 30 * 86_400,
                siteTitle: "R&D School", manifest: { manifest })
            sender = OutboxSender(store: store, transport: mailbox, logger: Logger(label: "test"), links: links)
        }

        @discardableResult
        func grant(
            _ email: String, _ product: String, kind: EmailKind = .purchase, hold: TimeInterval = 5, at now: Date
        ) throws -> Int64 {
            try store.write { db in
                let ledger = Ledger(db)
                let buyer = try ledger.buyer(email: email, now: now)
                let grant = try ledger.grant(buyer: buyer, order: nil, product: product, subscription: nil, now: now)
                try ledger.enqueueEmail(
                    Outbox.Letter(kind: kind, grant: grant, hold: hold), to: #require(EmailAddress(email)), now: now)
                return grant
            }
        }

        func storedBodies() throws -> [String] {
            try store.read { try String.fetchAll($0, sql: "SELECT body FROM outbox") }
        }
    }

    @Test func twoPurchasesInARowGoOutAsOneEMailListingBoth() async throws {
        let shop = try Shop()
        let now = Date()
        try shop.grant("ada@example.com", "practical-sqlite", at: now)
        try shop.grant("ada@example.com", "zhishi-fufei-xiezuo", at: now.addingTimeInterval(2))
        try shop.grant("bob@example.com", "practical-sqlite", at: now)
        #expect(try await shop.sender.sendDue(now: now) == 0, "held: another purchase may follow")
        #expect(try shop.storedBodies().allSatisfy(\.isEmpty), "no link rests in the database")

        #expect(try await shop.sender.sendDue(now: now.addingTimeInterval(5.5)) == 3)
        let ada = shop.mailbox.messages.filter { $0.to == "ada@example.com" }
        #expect(shop.mailbox.messages.count == 2 && ada.count == 1, "one e-mail per buyer")
        let email = try #require(ada.first)
        #expect(email.subject == "Your access to Practical SQLite, 写作变现：把你的专业知识做成一门付费课 · R&D School")
        #expect(email.body.hasPrefix("Thank you for buying Practical SQLite, 写作变现"))
        #expect(email.body.contains("\nhttps://school.example/learn/practical-sqlite/?token="))
        #expect(email.body.contains("• Practical SQLite\n  https://school.example/courses/practical-sqlite/"))
        #expect(email.body.contains("  https://school.example/courses/zhishi-fufei-xiezuo/"))
        #expect(email.body.contains("works for 30 days; your access does not depend on it"))
        #expect(email.body.contains("at https://school.example/library/ with this address"))
        #expect(email.body.hasSuffix("— R&D School\n"), "plain text: nothing HTML-escaped")
        let bob = try #require(shop.mailbox.messages.first { $0.to == "bob@example.com" })
        #expect(!bob.body.contains("zhishi"), "each buyer's own courses only")
        #expect(try await shop.sender.sendDue(now: now.addingTimeInterval(3_600)) == 0, "sent once")
        #expect(try Outbox.depth(in: shop.store) == 0)
    }

    @Test func aPurchaseRefundedBeforeItsEMailWentOutSendsNothing() async throws {
        let shop = try Shop()
        let now = Date()
        try shop.grant("ada@example.com", "practical-sqlite", at: now)
        let revoked = try CreatorQueries(store: shop.store).revoke(
            email: "ada@example.com", product: "practical-sqlite", reason: "refunded")
        #expect(revoked == 1)
        #expect(try await shop.sender.sendDue(now: now.addingTimeInterval(10)) == 0)
        #expect(shop.mailbox.messages.isEmpty)
        let pending = try Outbox.pending(in: shop.store)
        #expect(pending.count == 1 && pending.first?.nextAttempt == nil, "given up, not retried")
        #expect(pending.first?.lastError?.contains("withdrawn before the e-mail went out") == true)
        #expect(pending.first?.subject == "purchase · practical-sqlite", "lectern outbox says what it was")
    }

    @Test func aResendIsOneEMailAboutEverythingTheBuyerOwns() async throws {
        let shop = try Shop()
        let now = Date()
        try shop.grant("ada@example.com", "practical-sqlite", hold: 0, at: now)
        try shop.grant("ada@example.com", "zhishi-fufei-xiezuo", kind: .comp, hold: 0, at: now)
        #expect(try await shop.sender.sendDue(now: now) == 2)
        let comp = try #require(shop.mailbox.messages.first)
        #expect(comp.subject.hasPrefix("Your access to Practical SQLite"), "a purchase outweighs a comp")

        let queued = try CreatorQueries(store: shop.store).resend(email: #require(EmailAddress("ADA@example.com")))
        #expect(queued == 2)
        #expect(try Outbox.pending(in: shop.store).count == 1, "one letter, not one per grant")
        #expect(try await shop.sender.sendDue() == 1)
        let resend = try #require(shop.mailbox.messages.last)
        #expect(resend.subject == "Your new link to Practical SQLite, 写作变现：把你的专业知识做成一门付费课 · R&D School")
        #expect(resend.body.hasPrefix("Here is a fresh link, as asked") && !resend.body.contains("Thank you"))
        #expect(
            resend.body.contains("/courses/practical-sqlite/") && resend.body.contains("/courses/zhishi-fufei-xiezuo/"))
    }

    @Test func aCompReadsAsAGiftAndAChineseSiteWritesInChinese() async throws {
        let shop = try Shop(language: "zh-CN")
        let now = Date()
        try shop.grant("读者@例子.中国", "zhishi-fufei-xiezuo", kind: .comp, hold: 0, at: now)
        try shop.grant("读者@例子.中国", "practical-sqlite", kind: .comp, hold: 0, at: now)
        #expect(try await shop.sender.sendDue(now: now) == 2)
        let email = try #require(shop.mailbox.messages.first)
        #expect(shop.mailbox.messages.count == 1)
        // In the catalog's order, whatever order the grants were made in.
        #expect(email.subject == "你获赠了《Practical SQLite》、《写作变现：把你的专业知识做成一门付费课》 · R&D School")
        #expect(email.body.hasPrefix("R&D School 为你开通了《Practical SQLite》、《写作变现"))
        #expect(email.body.contains("链接 30 天内有效，过期不影响你的课程权限"))
        #expect(email.body.contains("可以在 https://school.example/library/ 用这个邮箱申请一个新链接"))
    }

    @Test func rowsQueuedBeforeLettersStillGoOutAsTheyWere() async throws {
        let shop = try Shop()
        try shop.store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO outbox (recipient, subject, body, next_attempt_at, created_at)
                    VALUES ('ada@example.com', 'Old subject', 'Old body', '2026-01-01T00:00:00.000Z',
                      '2026-01-01T00:00:00.000Z')
                    """)
        }
        #expect(try await shop.sender.sendDue() == 1)
        #expect(
            shop.mailbox.messages.first?.subject == "Old subject" && shop.mailbox.messages.first?.body == "Old body")
    }
}

/// Sessions in the store: the device limit keeps the most recently seen, signals count networks per day,
/// and retention forgets networks and old sessions.
@Suite struct SessionStoreTests {
    @Test func limitSignalsAndRetention() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sessions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try openTestStore(sqlitePath: dir.appendingPathComponent("s.sqlite").path)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let buyer = try store.write { try Ledger($0).buyer(email: "ada@example.com", now: now) }
        let sessions = Sessions(store: store)
        for (index, network) in ["198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24"].enumerated() {
            let ended = try sessions.start(
                id: "s\(index)", buyer: buyer, grant: 1, network: network, browser: "Chrome/Android", keep: 2,
                now: now.addingTimeInterval(TimeInterval(index)))
            #expect(ended == (index == 2 ? ["s0"] : []), "keep 2: the least recently seen goes")
        }
        #expect(try sessions.endedReason("s0") == "device limit" && sessions.endedReason("s1") == nil)
        // s1 is seen again later (another network too): now s2 is the least recent, and goes next.
        let day = String(Store.timestamp(now).prefix(10))
        try sessions.record([.init(session: "s1", day: day, network: "10.0.0.0/24", at: now.addingTimeInterval(60))])
        #expect(try sessions.devices(buyer: buyer).map(\.id) == ["s1", "s2"])
        #expect(
            try sessions.start(id: "s3", buyer: buyer, grant: 1, network: "x", browser: "b", keep: 2, now: now) == [
                "s2"
            ])

        let signals = try sessions.signals(since: now.addingTimeInterval(-86_400), networks: 4)
        #expect(signals.count == 1 && signals.first?.networks == 5 && signals.first?.signIns == 4, "\(signals)")
        #expect(try sessions.signals(since: now.addingTimeInterval(-86_400), networks: 6).isEmpty)

        #expect(try sessions.purge(olderThan: 86_400, now: now.addingTimeInterval(3 * 86_400)) > 0)
        #expect(try sessions.devices(buyer: buyer).isEmpty && sessions.signals(since: now, networks: 1).isEmpty)
    }
}
