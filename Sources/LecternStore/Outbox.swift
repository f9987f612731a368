import Foundation
import GRDB
import LecternCore

/// E-mails waiting to be sent. Rows are written in the same transaction as whatever caused them and
/// sent by `OutboxSender` with retries and exponential backoff.
public enum Outbox {
    /// An e-mail before it is queued: what the commerce side writes, the store keeps and sends.
    public struct Draft: Sendable, Equatable {
        public var subject: String
        public var body: String

        public init(subject: String, body: String) {
            self.subject = subject
            self.body = body
        }
    }

    public struct Message: Sendable, Equatable, Decodable, FetchableRecord {
        public var id: Int64
        public var recipient: String
        public var subject: String
        public var body: String
        public var attempts: Int
    }

    static func enqueue(to recipient: EmailAddress, subject: String, body: String, db: Database, now: Date) throws {
        let stamp = Store.timestamp(now)
        try db.executeCached(
            sql: """
                INSERT INTO outbox (recipient, subject, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [recipient.value, subject, body, stamp, stamp])
    }

    public static func due(in store: Store, now: Date = Date(), limit: Int = 20) throws -> [Message] {
        try store.read { db in
            try Message.fetchAll(
                db,
                sql: """
                    SELECT id, recipient, subject, body, attempts FROM outbox
                    WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?
                    """, arguments: [Store.timestamp(now), limit])
        }
    }

    public static func markSent(_ id: Int64, in store: Store, now: Date = Date()) throws {
        try store.write { db in
            // The body holds a signed link, a bearer credential: once delivered it is not kept.
            try db.executeCached(
                sql: "UPDATE outbox SET sent_at = ?, last_error = NULL, body = '' WHERE id = ?",
                arguments: [Store.timestamp(now), id])
        }
    }

    /// Backoff: 30 s, 1 min, 2 min, … capped at 1 hour.
    public static func markFailed(_ message: Message, error: String, in store: Store, now: Date = Date()) throws {
        let delay = min(3_600, 30 << min(message.attempts, 7))
        try store.write { db in
            try db.executeCached(
                sql: "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                arguments: [Store.timestamp(now.addingTimeInterval(TimeInterval(delay))), error, message.id])
        }
    }

    /// Gives up on a message that can never be delivered (a recipient stored before addresses were
    /// checked): no more attempts, and its body, which holds a signed link, is emptied. It stays in the
    /// outbox with its reason, for the operator.
    public static func abandon(_ message: Message, error: String, in store: Store) throws {
        try store.write { db in
            try db.executeCached(
                sql: """
                    UPDATE outbox SET body = '', last_error = ?, next_attempt_at = '9999-12-31T23:59:59.999Z' WHERE id = ?
                    """, arguments: [error, message.id])
        }
    }

    public static func depth(in store: Store) throws -> Int {
        try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL") ?? 0 }
    }
}
