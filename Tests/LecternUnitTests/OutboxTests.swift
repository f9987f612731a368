import Foundation
import GRDB
import LecternTestSupport
import Logging
import Testing

@testable import LecternCommerce
@testable import LecternCore
@testable import LecternStore

/// The outbox retries failed sends with backoff and sends each message once.
@Suite struct OutboxTests {
    /// A finished message, as rows were queued before letters (and as the sender still sends them).
    static func enqueue(_ recipient: String, db: any SQLDatabase, now: Date) throws {
        let stamp = Store.timestamp(now)
        try db.execute(
            sql: """
                INSERT INTO outbox (recipient, subject, body, next_attempt_at, created_at)
                VALUES (?, 'Hi', 'Link', ?, ?)
                """, arguments: [recipient, stamp, stamp])
    }

    final class FlakyTransport: MailTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var failuresLeft: Int
        private(set) var delivered: [String] = []

        init(failures: Int) { failuresLeft = failures }

        func send(to recipient: EmailAddress, subject: String, body: String, messageID: String) async throws {
            try lock.withLock {
                if failuresLeft > 0 {
                    failuresLeft -= 1
                    throw LecternError(.mail, "connection refused")
                }
                delivered.append(recipient.value)
            }
        }
    }

    @Test func failedSendIsRetriedAfterBackoffThenSentOnce() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try openTestStore(sqlitePath: dir.appendingPathComponent("o.sqlite").path)
        // A day ahead: a pass also takes what falls due while it runs (by the real clock), so with `now` the
        // real time a stalled machine (CI under load once took 79 s over this test) let the retry fall due
        // within the first pass.
        let now = Date().addingTimeInterval(86_400)
        try store.write {
            try Self.enqueue("ada@example.com", db: $0, now: now)
        }

        let transport = FlakyTransport(failures: 1)
        let sender = OutboxSender(store: store, transport: transport, logger: Logger(label: "test"))
        #expect(try await sender.sendDue(now: now) == 0)
        let row = try #require(
            try store.read { try SQLRow.fetchOne($0, sql: "SELECT attempts, next_attempt_at, last_error FROM outbox") })
        #expect(row["attempts"] as Int == 1 && (row["last_error"] as String?)?.contains("connection refused") == true)
        #expect((row["next_attempt_at"] as String) > Store.timestamp(now.addingTimeInterval(29)))

        #expect(try await sender.sendDue(now: now.addingTimeInterval(10)) == 0, "not due yet")
        #expect(try await sender.sendDue(now: now.addingTimeInterval(3_600)) == 1)
        #expect(try await sender.sendDue(now: now.addingTimeInterval(7_200)) == 0, "sent once only")
        #expect(transport.delivered == ["ada@example.com"])
        #expect(try Outbox.depth(in: store) == 0)
        #expect(
            try store.read { try String.fetchOne($0, sql: "SELECT body FROM outbox") } == "", "a sent link is not kept")
    }

    /// curl is started with posix_spawn (`ChildProcess`); its exit status and its reason reach the error.
    @Test func smtpFailureSaysWhyAndTheDaemonCarriesOn() async throws {
        let transport = SMTPMailTransport(
            host: "127.0.0.1", port: 1, startTLS: false, from: "School <s@example.com>", user: nil, password: nil)
        let to = try #require(EmailAddress("ada@example.com"))
        for _ in 0..<3 {
            let error = await #expect(throws: LecternError.self) {
                try await transport.send(to: to, subject: "s", body: "b", messageID: "m@example.com")
            }
            #expect(error?.message.contains("curl exit 7") == true, "\(String(describing: error))")
        }
    }

    /// Delivers, then takes the database's write lock from a second connection before the sender can
    /// record the delivery: the disk-full or locked-database case, made deterministic. The lock is held
    /// by a thread inside one database access until `release()`.
    final class LockingTransport: MailTransport, @unchecked Sendable {
        let lock = NSLock()
        var delivered: [String] = []
        var messageIDs: [String] = []
        let holder: DatabaseQueue
        let acquired = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        var holding = false

        init(path: String) throws { holder = try DatabaseQueue(path: path) }

        func send(to recipient: EmailAddress, subject: String, body: String, messageID: String) async throws {
            let first = lock.withLock {
                delivered.append(recipient.value)
                messageIDs.append(messageID)
                defer { holding = true }
                return !holding
            }
            guard first else { return }
            Thread.detachNewThread { [self] in
                try? holder.inDatabase { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    acquired.signal()
                    released.wait()
                    try db.execute(sql: "ROLLBACK")
                }
                finished.signal()
            }
            acquired.wait()
        }

        func release() {
            released.signal()
            finished.wait()
        }
    }

    @Test func aDeliveryTheStoreCouldNotRecordIsNeverSentAgain() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("o.sqlite").path
        let store = try Store(path: path, busyTimeout: 0.2)
        let now = Date()
        try store.write {
            try Self.enqueue("ada@example.com", db: $0, now: now)
        }
        let transport = try LockingTransport(path: path)
        let sender = OutboxSender(
            store: store, transport: transport, logger: Logger(label: "test"), from: "School <s@school.example>")

        // Sent, then the lock: the record fails and the pass says so.
        await #expect(throws: (any Error).self) { try await sender.sendDue(now: now) }
        #expect(transport.delivered == ["ada@example.com"] && sender.unrecordedCount == 1)
        #expect(DaemonHealth(store: store, sender: sender).report().status == .unavailable)
        // While the store stays locked, later passes send nothing — not even after the lease ran out.
        for later in [1.0, 3_600] {
            await #expect(throws: (any Error).self) { try await sender.sendDue(now: now.addingTimeInterval(later)) }
        }
        #expect(transport.delivered.count == 1)

        // The store is back: the delivery is recorded late, and the message is never sent again.
        transport.release()
        #expect(try await sender.sendDue(now: now.addingTimeInterval(3_700)) == 0)
        #expect(try sender.unrecordedCount == 0 && Outbox.depth(in: store) == 0)
        #expect(try await sender.sendDue(now: now.addingTimeInterval(86_400)) == 0)
        #expect(transport.delivered.count == 1)
        #expect(transport.messageIDs.first?.hasSuffix("@school.example") == true)
        #expect(DaemonHealth(store: store, sender: sender).report().status == .ok)
    }

    @Test func manyMessagesGoOutConcurrentlyEachOnceWithItsOwnStableMessageID() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try openTestStore(sqlitePath: dir.appendingPathComponent("o.sqlite").path)
        let now = Date()
        try store.write { db in
            for index in 0..<200 {
                try Self.enqueue("b\(index)@example.com", db: db, now: now)
            }
        }
        let transport = FlakyTransport(failures: 5)
        let sender = OutboxSender(store: store, transport: transport, logger: Logger(label: "test"), concurrency: 16)
        // 195 go out at once; the 5 that failed go after their backoff (within this pass if it ran long).
        let first = try await sender.sendDue(now: now)
        let second = try await sender.sendDue(now: now.addingTimeInterval(3_600))
        #expect(first >= 195 && first + second == 200, "\(first) + \(second)")
        #expect(Set(transport.delivered).count == 200 && transport.delivered.count == 200)
        #expect(try Outbox.depth(in: store) == 0)
    }

    @Test func aRowWithAnUncheckedRecipientIsAbandonedNeverSent() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try openTestStore(sqlitePath: dir.appendingPathComponent("o.sqlite").path)
        // As an older version could have stored it, before addresses were checked at ingestion.
        try store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO outbox (recipient, subject, body, next_attempt_at, created_at)
                    VALUES (?, 'Hi', 'link ?token=x', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
                    """, arguments: ["a@b.c\"\nupload-file = \"keys/watermark.secret"])
        }
        let transport = FlakyTransport(failures: 0)
        let sender = OutboxSender(store: store, transport: transport, logger: Logger(label: "test"))
        #expect(try await sender.sendDue() == 0)
        #expect(try await sender.sendDue(now: Date().addingTimeInterval(86_400 * 365)) == 0, "never retried")
        #expect(transport.delivered.isEmpty)
        let row = try #require(try store.read { try SQLRow.fetchOne($0, sql: "SELECT body, last_error FROM outbox") })
        #expect(row["body"] as String == "" && (row["last_error"] as String?)?.contains("not a deliverable") == true)
    }
}

@Suite struct StoreTimestampTests {
    @Test func matchesISO8601WithMilliseconds() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 1_795_293_310.403, 951_782_400.5, 4_102_444_799.999] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Store.timestamp(date) == formatter.string(from: date))
        }
    }
}
