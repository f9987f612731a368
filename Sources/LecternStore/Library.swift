import Foundation
import LecternCore

/// A buyer's library: every live grant of theirs (whatever course or bundle it is for), and what they have
/// read, per course, on any device. Read by the gate when a signed-in buyer opens a course on a device that
/// has no link for it yet, and by `/library/`.
public struct Library: Sendable {
    public struct Grant: Sendable, Equatable {
        public var id: Int64
        public var product: String
        public var startsAt: Date
    }

    public let store: Store

    public init(store: Store) { self.store = store }

    /// The buyer's grants that are live at `now` (not revoked, not ended), oldest first.
    public func liveGrants(buyer: Int64, now: Date = Date()) throws -> [Grant] {
        try store.read { db in
            try SQLRow.fetchAll(
                db,
                sql: """
                    SELECT id, product, starts_at FROM grants
                    WHERE buyer_id = ? AND revoked_at IS NULL AND (ends_at IS NULL OR ends_at > ?)
                    ORDER BY id
                    """, arguments: [buyer, Store.timestamp(now)]
            ).map { row in
                Grant(
                    id: row["id"], product: row["product"],
                    startsAt: Store.date(fromTimestamp: row["starts_at"]) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }

    /// The buyer's newest grant of any state (refunded, revoked, ended too) among those `opens` accepts:
    /// what a signed-in buyer is told about a course they no longer have.
    public func newestGrant(buyer: Int64, where opens: (String) -> Bool) throws -> Int64? {
        try store.read { db in
            try SQLRow.fetchAll(
                db, sql: "SELECT id, product FROM grants WHERE buyer_id = ? ORDER BY id DESC", arguments: [buyer]
            ).first { opens($0["product"]) }.map { $0["id"] }
        }
    }

    /// Who paid for a gift: the address of the order's buyer when the grant is someone else's; nil otherwise.
    public func giver(ofGrant grant: Int64) throws -> String? {
        try store.read { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT b.email FROM grants g JOIN orders o ON o.id = g.order_id JOIN buyers b ON b.id = o.buyer_id
                    WHERE g.id = ? AND o.buyer_id != g.buyer_id
                    """, arguments: [grant])
        }
    }

    /// When a gift's e-mail to its recipient goes (or went) out: its next attempt while unsent, else when sent.
    public func giftDelivery(grant: Int64) throws -> Date? {
        try store.read { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT coalesce(sent_at, next_attempt_at) FROM outbox WHERE grant_id = ? AND kind = ?
                    ORDER BY id LIMIT 1
                    """, arguments: [grant, EmailKind.gift.rawValue])
        }.flatMap(Store.date(fromTimestamp:))
    }

    /// The buyer's address (shown on their library page, to them only).
    public func email(buyer: Int64) throws -> String? {
        try store.read { try String.fetchOne($0, sql: "SELECT email FROM buyers WHERE id = ?", arguments: [buyer]) }
    }

    /// Lessons read, by course, each with when it was read.
    public func progress(buyer: Int64) throws -> [String: [(lesson: String, readAt: Date)]] {
        let rows = try store.read { db in
            try SQLRow.fetchAll(
                db, sql: "SELECT course, lesson, read_at FROM progress WHERE buyer_id = ? ORDER BY read_at",
                arguments: [buyer])
        }
        var byCourse: [String: [(lesson: String, readAt: Date)]] = [:]
        for row in rows {
            let course: String = row["course"]
            byCourse[course, default: []].append(
                (row["lesson"], Store.date(fromTimestamp: row["read_at"]) ?? Date(timeIntervalSince1970: 0)))
        }
        return byCourse
    }

    /// Marks a lesson read (again: the time moves on, so "continue" follows the latest reading). The caller
    /// checked that the buyer owns the course and that the lesson is in it.
    public func markRead(buyer: Int64, course: String, lesson: String, now: Date = Date()) throws {
        try store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO progress (buyer_id, course, lesson, read_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (buyer_id, course, lesson) DO UPDATE SET read_at = excluded.read_at
                    """, arguments: [buyer, course, lesson, Store.timestamp(now)])
        }
    }
}
