import Foundation
import LecternCore

/// The store's named writes for buyers, orders, grants and e-mails, each inside one transaction that the
/// store opened (a savepoint of a group commit, or a CLI write): those shared by webhooks and the creator's
/// CLI here, the webhook processor's in `WebhookLedger.swift`. Callers outside the store get a `Ledger`,
/// never a database handle, so every SQL statement stays in this target.
public struct Ledger {
    let db: any SQLDatabase

    init(_ db: any SQLDatabase) { self.db = db }

    /// The buyer id for an e-mail, creating the buyer on first purchase.
    public func buyer(email: String, now: Date) throws -> Int64 {
        let now = Store.timestamp(now)
        let normalized = Store.normalizeEmail(email)
        // One statement, so one round trip on PostgreSQL: the no-op update makes RETURNING name an existing row.
        guard
            let id = try Int64.fetchOne(
                db,
                sql: """
                    INSERT INTO buyers (email, created_at) VALUES (?, ?)
                    ON CONFLICT (email) DO UPDATE SET email = excluded.email RETURNING id
                    """, arguments: [normalized, now])
        else {
            throw LecternError(.store, "buyer vanished inside its own transaction")
        }
        return id
    }

    /// - Parameter endsAt: when access ends (a time-limited comp); nil for good.
    public func grant(
        buyer: Int64, order: Int64?, product: String, subscription: String?, endsAt: Date? = nil, now: Date
    ) throws -> Int64 {
        let now = Store.timestamp(now)
        guard
            let id = try Int64.fetchOne(
                db,
                sql: """
                    INSERT INTO grants (buyer_id, order_id, product, starts_at, subscription_ref, ends_at)
                    VALUES (?, ?, ?, ?, ?, ?) RETURNING id
                    """, arguments: [buyer, order, product, now, subscription, endsAt.map(Store.timestamp)])
        else { throw LecternError(.store, "a grant was inserted without an id") }
        return id
    }

    /// Queues a link e-mail, written and sent by `OutboxSender` once this transaction commits.
    public func enqueueEmail(_ letter: Outbox.Letter, to recipient: EmailAddress, now: Date) throws {
        try Outbox.enqueue(letter, to: recipient, db: db, now: now)
    }

    /// A purchase's e-mails: the payer's link; for a gift, the recipient's link (on `day`, if given) and
    /// the payer's receipt, which carries no link.
    public func enqueuePurchaseLetters(
        grant: Int64, payer: EmailAddress, giftTo: EmailAddress?, on day: Date?, hold: TimeInterval, now: Date
    ) throws {
        guard let recipient = giftTo else {
            return try enqueueEmail(Outbox.Letter(kind: .purchase, grant: grant, hold: hold), to: payer, now: now)
        }
        try enqueueEmail(Outbox.Letter(kind: .gift, grant: grant, hold: hold, notBefore: day), to: recipient, now: now)
        try enqueueEmail(Outbox.Letter(kind: .receipt, grant: grant, hold: hold), to: payer, now: now)
    }
}
