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
        public var createdAt: String

        public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    }

    /// How long a claimed message is held for its sender: longer than any send may take
    /// (`SMTPMailTransport.maxSeconds`), so no other pass or node sends it meanwhile, and short enough that
    /// a message whose sender died (or whose outcome could not be recorded) goes out again within the hour.
    public static let lease: TimeInterval = 20 * 60

    static func enqueue(to recipient: EmailAddress, subject: String, body: String, db: Database, now: Date) throws {
        let stamp = Store.timestamp(now)
        try db.executeCached(
            sql: """
                INSERT INTO outbox (recipient, subject, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [recipient.value, subject, body, stamp, stamp])
    }

    /// Claims up to `limit` due messages for one sender, in one write: each is leased (`next_attempt_at`
    /// moves `lease` ahead) before it is sent, so it is sent by one sender at a time, and not at all while
    /// the store cannot record anything (the claim itself is a write). `skipping`: ids the caller knows
    /// were delivered but could not yet record.
    public static func claimDue(
        in store: Store, now: Date = Date(), limit: Int = 64, skipping delivered: Set<Int64> = []
    ) throws -> [Message] {
        try store.write { db in
            let due = try Message.fetchAll(
                db,
                sql: """
                    SELECT id, recipient, subject, body, attempts, created_at FROM outbox
                    WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                    """, arguments: [Store.timestamp(now), limit + delivered.count]
            ).filter { !delivered.contains($0.id) }.prefix(limit)
            let until = Store.timestamp(now.addingTimeInterval(lease))
            for message in due {
                try db.executeCached(
                    sql: "UPDATE outbox SET next_attempt_at = ? WHERE id = ?", arguments: [until, message.id])
            }
            return Array(due)
        }
    }

    /// What happened to claimed messages, recorded in one transaction: delivered ones are marked sent (and
    /// their link dropped), failed ones get their next attempt counted from when they failed (30 s, 1 min,
    /// 2 min, … capped at 1 hour), released ones (a stopping daemon) are due again at once.
    public static func record(
        delivered: [Int64], failed: [(message: Message, error: String, at: Date)] = [], released: [Int64] = [],
        in store: Store, now: Date = Date()
    ) throws {
        guard !(delivered.isEmpty && failed.isEmpty && released.isEmpty) else { return }
        try store.write { db in
            for id in delivered {
                // The body holds a signed link, a bearer credential: once delivered it is not kept.
                try db.executeCached(
                    sql: "UPDATE outbox SET sent_at = ?, last_error = NULL, body = '' WHERE id = ?",
                    arguments: [Store.timestamp(now), id])
            }
            for failure in failed {
                let delay = min(3_600, 30 << min(failure.message.attempts, 7))
                try db.executeCached(
                    sql: "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                    arguments: [
                        Store.timestamp(failure.at.addingTimeInterval(TimeInterval(delay))), failure.error,
                        failure.message.id,
                    ])
            }
            for id in released {
                try db.executeCached(
                    sql: "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND sent_at IS NULL",
                    arguments: [Store.timestamp(now), id])
            }
        }
    }

    /// Gives up on a message that can never be delivered (a recipient stored before addresses were
    /// checked): no more attempts, and its body, which holds a signed link, is emptied. It stays in the
    /// outbox with its reason, for the operator.
    public static func abandon(_ message: Message, error: String, in store: Store) throws {
        try store.write { db in
            try db.executeCached(
                sql: """
                    UPDATE outbox SET body = '', last_error = ?, next_attempt_at = '9999-12-31T23:59:59.999Z'
                    WHERE id = ?
                    """, arguments: [error, message.id])
        }
    }

    public static func depth(in store: Store) throws -> Int {
        try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL") ?? 0 }
    }

    /// When the oldest message still waiting was queued (nil when none waits): `/healthz` calls the outbox
    /// stuck when this is older than its threshold. Abandoned messages do not count.
    public static func oldestWaiting(in store: Store) throws -> Date? {
        try store.read { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT MIN(created_at) FROM outbox
                    WHERE sent_at IS NULL AND next_attempt_at < '9999-12-31T23:59:59.999Z'
                    """)
        }.flatMap(Store.date(fromTimestamp:))
    }

    /// One unsent message as the operator sees it (`lectern outbox`): never its body (it holds a link).
    public struct Pending: Sendable, Equatable {
        public var id: Int64
        public var recipient: String
        public var subject: String
        public var attempts: Int
        public var createdAt: Date
        /// nil once given up (`abandon`): it will not be tried again.
        public var nextAttempt: Date?
        public var lastError: String?
    }

    /// Every message not sent yet, oldest first: waiting, failing and retrying, or given up.
    public static func pending(in store: Store) throws -> [Pending] {
        try store.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, recipient, subject, attempts, created_at, next_attempt_at, last_error FROM outbox
                    WHERE sent_at IS NULL ORDER BY id
                    """
            ).map { row in
                let next: String = row["next_attempt_at"]
                return Pending(
                    id: row["id"], recipient: row["recipient"], subject: row["subject"], attempts: row["attempts"],
                    createdAt: Store.date(fromTimestamp: row["created_at"]) ?? Date(timeIntervalSince1970: 0),
                    nextAttempt: next.hasPrefix("9999") ? nil : Store.date(fromTimestamp: next),
                    lastError: row["last_error"])
            }
        }
    }
}
