import Foundation

/// What the gate needs to know about one grant, read on every paid request (a primary-key lookup on
/// a reader connection; WAL lets it run while a webhook commits).
public struct GrantRecord: Sendable, Equatable {
    public var id: Int64
    /// The buyer, whose library (every grant of theirs) a sign-in opens.
    public var buyerID: Int64
    public var product: String
    public var email: String
    /// Lectern's order number ("K7QD-M2XF", see `OrderNumber`), or "complimentary" for a grant made
    /// with `lectern grant`. Never the provider's id, which can be a credential.
    public var order: String
    public var startsAt: Date
    public var endsAt: Date?
    public var revokedAt: Date?
    /// "refunded", "disputed", or the creator's reason.
    public var reason: String?
    /// Bought with a subscription: access follows it (`endsAt`), and its e-mails say where to manage it.
    public var isSubscription = false

    /// A grant as a value (the benchmarks' made-up buyers); the daemon reads them with `load`.
    public init(
        id: Int64, buyerID: Int64, product: String, email: String, order: String, startsAt: Date, endsAt: Date? = nil,
        revokedAt: Date? = nil, reason: String? = nil, isSubscription: Bool = false
    ) {
        (self.id, self.buyerID, self.product, self.email, self.order) = (id, buyerID, product, email, order)
        (self.startsAt, self.endsAt, self.revokedAt, self.reason) = (startsAt, endsAt, revokedAt, reason)
        self.isSubscription = isSubscription
    }

    public enum State: Sendable, Equatable {
        case live
        case revoked(reason: String?)
        case ended(at: Date)
    }

    public func state(at now: Date) -> State {
        if revokedAt != nil { return .revoked(reason: reason) }
        if let endsAt, endsAt <= now { return .ended(at: endsAt) }
        return .live
    }

    public static func load(id: Int64, from store: Store) throws -> GrantRecord? {
        try store.readOneStatement { db in
            // Compiled once per connection (SQLite): compiling was most of the lookup's cost.
            let row = try SQLRow.fetchOne(
                db,
                sql: """
                    SELECT g.buyer_id, g.product, g.starts_at, g.ends_at, g.revoked_at, g.reason, b.email,
                      o.id AS order_id, o.number, g.subscription_ref IS NOT NULL AS subscribed
                    FROM grants g JOIN buyers b ON b.id = g.buyer_id LEFT JOIN orders o ON o.id = g.order_id
                    WHERE g.id = ?
                    """, arguments: [id])
            guard let row else { return nil }
            let starts: String = row["starts_at"]
            return GrantRecord(
                id: id, buyerID: row["buyer_id"], product: row["product"], email: row["email"],
                order: (row["order_id"] as Int64?) == nil ? "complimentary" : (row["number"] ?? "-"),
                startsAt: Store.date(fromTimestamp: starts) ?? Date(timeIntervalSince1970: 0),
                endsAt: (row["ends_at"] as String?).flatMap(Store.date(fromTimestamp:)),
                revokedAt: (row["revoked_at"] as String?).flatMap(Store.date(fromTimestamp:)),
                reason: row["reason"], isSubscription: row["subscribed"])
        }
    }
}
