import Foundation
import LecternCore

/// E-mails waiting to be sent. Rows are written in the same transaction as whatever caused them and
/// sent by `OutboxSender` with retries and exponential backoff.
public enum Outbox {
    /// A link e-mail as it is queued: why it is sent and which grant it is about. It is written when it is
    /// sent (`AccessLinks.compose`), so no signed link rests in the database, a refund before sending
    /// stops it, and letters to one buyer due at the same time become one e-mail listing all their courses.
    public struct Letter: Sendable, Equatable {
        public var kind: EmailKind
        public var grant: Int64
        /// How long it waits before it is due: purchases in a row (a buyer taking two courses) go out as
        /// one e-mail. A buyer asking for a link gets it at once.
        public var hold: TimeInterval
        /// Not before this time: a gift the giver asked to arrive on a day (at most a year ahead).
        public var notBefore: Date?

        public init(kind: EmailKind, grant: Int64, hold: TimeInterval = 0, notBefore: Date? = nil) {
            self.kind = kind
            self.grant = grant
            self.hold = hold
            self.notBefore = notBefore
        }
    }

    /// A queued message: a `Letter` (`kind` and `grantID` set, no body yet), or, for rows queued before
    /// letters, a finished subject and body.
    public struct Message: Sendable, Equatable, SQLRecord {
        public var id: Int64
        public var recipient: String
        public var subject: String
        public var body: String
        public var attempts: Int
        public var createdAt: String
        public var kind: EmailKind?
        public var grantID: Int64?

        public init(row: SQLRow) {
            (id, recipient, subject, body) = (row["id"], row["recipient"], row["subject"], row["body"])
            (attempts, createdAt, grantID) = (row["attempts"], row["created_at"], row["grant_id"])
            kind = (row["kind"] as String?).flatMap(EmailKind.init(rawValue:))
        }

        public init(
            id: Int64, recipient: String, subject: String, body: String, attempts: Int, createdAt: String,
            kind: EmailKind? = nil, grantID: Int64? = nil
        ) {
            (self.id, self.recipient, self.subject, self.body) = (id, recipient, subject, body)
            (self.attempts, self.createdAt, self.kind, self.grantID) = (attempts, createdAt, kind, grantID)
        }
    }

    /// The longest `Letter.hold` (`[mail] hold_seconds`): a claim also takes the letters to the same
    /// recipients that are held at most this long, which a lease (much longer) is never mistaken for.
    public static let longestHold: TimeInterval = 300

    /// How long a claimed message is held for its sender: longer than any send may take
    /// (`SMTPMailTransport.maxSeconds`), so no other pass or node sends it meanwhile, and short enough that
    /// a message whose sender died (or whose outcome could not be recorded) goes out again within the hour.
    public static let lease: TimeInterval = 20 * 60

    static func enqueue(_ letter: Letter, to recipient: EmailAddress, db: any SQLDatabase, now: Date) throws {
        var due = now.addingTimeInterval(min(max(0, letter.hold), longestHold))
        if let day = letter.notBefore, day > due { due = min(day, now.addingTimeInterval(366 * 86_400)) }
        try db.execute(
            sql: """
                INSERT INTO outbox (recipient, subject, body, kind, grant_id, next_attempt_at, created_at)
                VALUES (?, '', '', ?, ?, ?, ?)
                """,
            arguments: [
                recipient.value, letter.kind.rawValue, letter.grant, Store.timestamp(due), Store.timestamp(now),
            ])
    }

    private static let columns = "id, recipient, subject, body, attempts, created_at, kind, grant_id"

    /// Claims up to `limit` due messages for one sender, in one write: each is leased (`next_attempt_at`
    /// moves `lease` ahead) before it is sent, so it is sent by one sender at a time, and not at all while
    /// the store cannot record anything (the claim itself is a write). `skipping`: ids the caller knows
    /// were delivered but could not yet record. Letters still held for a recipient who has one due are
    /// claimed with it, so they go out together.
    public static func claimDue(
        in store: Store, now: Date = Date(), limit: Int = 64, skipping delivered: Set<Int64> = []
    ) throws -> [Message] {
        try store.write { db in
            var due = try Message.fetchAll(
                db,
                sql: """
                    SELECT \(columns) FROM outbox
                    WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                    """, arguments: [Store.timestamp(now), limit + delivered.count]
            ).filter { !delivered.contains($0.id) }.prefix(limit)
            let recipients = Set(due.filter { $0.kind != nil }.map(\.recipient))
            for recipient in recipients.sorted() {
                due += try Message.fetchAll(
                    db,
                    sql: """
                        SELECT \(columns) FROM outbox
                        WHERE sent_at IS NULL AND recipient = ? AND kind IS NOT NULL
                          AND next_attempt_at > ? AND next_attempt_at <= ? ORDER BY id
                        """,
                    arguments: [
                        recipient, Store.timestamp(now), Store.timestamp(now.addingTimeInterval(longestHold)),
                    ]
                ).filter { !delivered.contains($0.id) }
            }
            let until = Store.timestamp(now.addingTimeInterval(lease))
            for message in due {
                try db.execute(
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
                try db.execute(
                    sql: "UPDATE outbox SET sent_at = ?, last_error = NULL, body = '' WHERE id = ?",
                    arguments: [Store.timestamp(now), id])
            }
            for failure in failed {
                let delay = min(3_600, 30 << min(failure.message.attempts, 7))
                try db.execute(
                    sql: "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                    arguments: [
                        Store.timestamp(failure.at.addingTimeInterval(TimeInterval(delay))), failure.error,
                        failure.message.id,
                    ])
            }
            for id in released {
                try db.execute(
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
            try db.execute(
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
        /// A letter's kind and product ("purchase · intro-course"), or an old row's subject.
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
            try SQLRow.fetchAll(
                db,
                sql: """
                    SELECT o.id, o.recipient, o.subject, o.kind, g.product, o.attempts, o.created_at,
                      o.next_attempt_at, o.last_error
                    FROM outbox o LEFT JOIN grants g ON g.id = o.grant_id
                    WHERE o.sent_at IS NULL ORDER BY o.id
                    """
            ).map { row in
                let next: String = row["next_attempt_at"]
                let kind: String? = row["kind"]
                let product: String? = row["product"]
                return Pending(
                    id: row["id"], recipient: row["recipient"],
                    subject: kind.map { "\($0) · \(product ?? "?")" } ?? row["subject"], attempts: row["attempts"],
                    createdAt: Store.date(fromTimestamp: row["created_at"]) ?? Date(timeIntervalSince1970: 0),
                    nextAttempt: next.hasPrefix("9999") ? nil : Store.date(fromTimestamp: next),
                    lastError: row["last_error"])
            }
        }
    }
}
