import Foundation
import LecternCore

/// What the creator's CLI reads and changes in the store: buyers, orders, comp grants, revocations,
/// re-sent links, and the owner of a traced grant.
public struct CreatorQueries: Sendable {
    public struct BuyerRow: Sendable, SQLRecord {
        public var email: String
        public var orders: Int
        public var liveGrants: Int
        public var since: String

        public init(row: SQLRow) {
            (email, orders, liveGrants, since) = (row["email"], row["orders"], row["live_grants"], row["since"])
        }
    }
    public struct OrderRow: Sendable, SQLRecord {
        public var id: Int64
        public var number: String?
        public var provider: String
        public var providerOrderID: String
        public var email: String
        public var product: String
        public var amount: Int
        public var currency: String
        public var status: OrderStatus
        public var flag: String?
        public var createdAt: String

        public init(row: SQLRow) {
            (id, number, provider, providerOrderID) = (
                row["id"], row["number"], row["provider"], row["provider_order_id"]
            )
            (email, product, amount, currency) = (row["email"], row["product"], row["amount"], row["currency"])
            // The table's CHECK admits no other status.
            status = OrderStatus(rawValue: row["status"]) ?? .flagged
            (flag, createdAt) = (row["flag"], row["created_at"])
        }
    }
    public struct GrantOwner: Sendable, Equatable {
        public var email: String
        public var product: String
        public var order: String?
        public var revoked: Bool
    }

    public let store: Store

    public init(store: Store) { self.store = store }

    public func buyers() throws -> [BuyerRow] {
        try store.read { db in
            try BuyerRow.fetchAll(
                db,
                sql: """
                    SELECT b.email, b.created_at AS since,
                      (SELECT COUNT(*) FROM orders o WHERE o.buyer_id = b.id) AS orders,
                      (SELECT COUNT(*) FROM grants g WHERE g.buyer_id = b.id AND g.revoked_at IS NULL) AS live_grants
                    FROM buyers b ORDER BY b.created_at
                    """)
        }
    }

    public func orders() throws -> [OrderRow] {
        try store.read { db in
            try OrderRow.fetchAll(
                db,
                sql: """
                    SELECT o.id, o.number, o.provider, o.provider_order_id, b.email, o.product, o.amount, o.currency,
                      o.status, o.flag, o.created_at
                    FROM orders o JOIN buyers b ON b.id = o.buyer_id ORDER BY o.id
                    """)
        }
    }

    /// A complimentary grant and its link e-mail, in one transaction. A buyer who already has access for good,
    /// or an earlier comp, gets the link again instead of a second grant (`isNew` false); a comp ending before
    /// `until` is extended to it. `until`: when access ends (nil: for good). `hold`: see `Outbox.Letter`
    /// (several grants in a row reach the buyer as one e-mail). Returns when that access now ends (nil: never).
    @discardableResult
    public func compGrant(
        email: EmailAddress, product: String, until: Date? = nil, hold: TimeInterval = 0, now: Date = Date()
    ) throws -> (grant: Int64, isNew: Bool, endsAt: Date?) {
        try store.write { db in
            let ledger = Ledger(db)
            let buyer = try ledger.buyer(email: email.value, now: now)
            // Access for good already: the link again. Else an earlier comp, extended when this one lasts
            // longer (it keeps its start, for drip). A purchase that ends (a subscription) is left to its
            // provider: the comp is a grant of its own.
            let live = try SQLRow.fetchAll(
                db,
                sql: """
                    SELECT id, ends_at, order_id, subscription_ref FROM grants
                    WHERE buyer_id = ? AND product = ? AND revoked_at IS NULL
                      AND (ends_at IS NULL OR ends_at > ?) ORDER BY ends_at IS NOT NULL, ends_at DESC
                    """, arguments: [buyer, product, Store.timestamp(now)])
            // (A subscription without an end yet is not for good: its provider may end it.)
            let kept =
                live.first { ($0["ends_at"] as String?) == nil && ($0["subscription_ref"] as String?) == nil }
                ?? live.first { ($0["order_id"] as Int64?) == nil }
            var ends = until
            if let kept {
                let current = (kept["ends_at"] as String?).flatMap(Store.date(fromTimestamp:))
                if let current, current < (until ?? .distantFuture) {
                    try db.execute(
                        sql: "UPDATE grants SET ends_at = ? WHERE id = ?",
                        arguments: [until.map(Store.timestamp), kept["id"] as Int64])
                } else {
                    ends = current
                }
            }
            let liveID: Int64? = kept?["id"]
            let grant =
                try liveID
                ?? ledger.grant(buyer: buyer, order: nil, product: product, subscription: nil, endsAt: until, now: now)
            try ledger.enqueueEmail(
                Outbox.Letter(kind: liveID == nil ? .comp : .resend, grant: grant, hold: hold), to: email, now: now)
            return (grant, liveID == nil, ends)
        }
    }

    /// What `approve` did: the grant made and who gets the link.
    public struct Approval: Sendable, Equatable {
        public var grant: Int64
        public var email: String
        public var product: String
    }

    /// Approves a flagged order (`lectern approve`): it becomes paid, with the flag's reason kept, the buyer
    /// gets a grant and the purchase e-mail, in one transaction. Nil for an order that does not exist or
    /// is not flagged (paid, refunded, disputed, or approved already).
    public func approve(number: String, hold: TimeInterval = 0, now: Date = Date()) throws -> Approval? {
        try store.write { db -> Approval? in
            guard
                let row = try SQLRow.fetchOne(
                    db,
                    sql: """
                        SELECT o.id, o.buyer_id, o.product, b.email, o.gift_to, o.gift_date, o.provider,
                          o.provider_order_id, o.subscription_ref
                        FROM orders o JOIN buyers b ON b.id = o.buyer_id
                        WHERE o.number = ? AND o.status = ?
                        """, arguments: [number.uppercased(), OrderStatus.flagged.rawValue]),
                let email = EmailAddress(row["email"])
            else { return nil }
            let order: Int64 = row["id"]
            try db.execute(
                sql: """
                    UPDATE orders SET status = ?, flag = 'approved by the creator: ' || flag, updated_at = ?
                    WHERE id = ?
                    """, arguments: [OrderStatus.paid.rawValue, Store.timestamp(now), order])
            let ledger = Ledger(db)
            let recipient = (row["gift_to"] as String?).flatMap(EmailAddress.init)
            let payer: Int64 = row["buyer_id"]
            let holder = try recipient.map { try ledger.buyer(email: $0.value, now: now) } ?? payer
            // A subscription (a flagged free trial) stays one: its recorded state, if any, sets the end.
            let known = try ledger.knownSubscription(
                provider: row["provider"], ref: row["subscription_ref"], orderID: row["provider_order_id"])
            let subscription: String? = row["subscription_ref"]
            let grant = try ledger.grant(
                buyer: holder, order: order, product: row["product"], subscription: subscription ?? known?.ref,
                endsAt: known?.endsAt, now: now)
            try ledger.enqueuePurchaseLetters(
                grant: grant, payer: email, giftTo: recipient,
                on: (row["gift_date"] as String?).flatMap(Store.date(fromTimestamp:)), hold: hold, now: now)
            return Approval(grant: grant, email: (recipient ?? email).value, product: row["product"])
        }
    }

    /// Revokes the buyer's live grants for a product; returns how many.
    public func revoke(email: String, product: String, reason: String, now: Date = Date()) throws -> Int {
        try store.write { db in
            try db.execute(
                sql: """
                    UPDATE grants SET revoked_at = ?, reason = ?
                    WHERE revoked_at IS NULL AND product = ? AND buyer_id = (SELECT id FROM buyers WHERE email = ?)
                    """, arguments: [Store.timestamp(now), reason, product, Store.normalizeEmail(email)])
            return db.changesCount
        }
    }

    /// Queues one e-mail with a fresh link for everything the buyer owns (at once: they are waiting for
    /// it); returns how many live grants it covers, 0 (nothing queued) for none.
    public func resend(email: EmailAddress, now: Date = Date()) throws -> Int {
        try store.write { db in
            let grants = try Int64.fetchAll(
                db,
                sql: """
                    SELECT g.id FROM grants g JOIN buyers b ON b.id = g.buyer_id
                    WHERE b.email = ? AND g.revoked_at IS NULL AND (g.ends_at IS NULL OR g.ends_at > ?)
                    ORDER BY g.id
                    """, arguments: [Store.normalizeEmail(email.value), Store.timestamp(now)])
            if let latest = grants.last {
                try Ledger(db).enqueueEmail(Outbox.Letter(kind: .resend, grant: latest), to: email, now: now)
            }
            return grants.count
        }
    }

    /// The buyer's live grant for a product, for `lectern token issue --email`.
    public func liveGrant(email: String, product: String, now: Date = Date()) throws -> Int64? {
        try store.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT g.id FROM grants g JOIN buyers b ON b.id = g.buyer_id
                    WHERE b.email = ? AND g.product = ? AND g.revoked_at IS NULL
                      AND (g.ends_at IS NULL OR g.ends_at > ?)
                    ORDER BY g.id DESC LIMIT 1
                    """, arguments: [Store.normalizeEmail(email), product, Store.timestamp(now)])
        }
    }

    /// Who holds a grant, for `lectern trace`.
    public func owner(ofGrant grant: Int64) throws -> GrantOwner? {
        try store.read { db in
            try SQLRow.fetchOne(
                db,
                sql: """
                    SELECT b.email, g.product, g.revoked_at, o.provider, o.provider_order_id FROM grants g
                    JOIN buyers b ON b.id = g.buyer_id LEFT JOIN orders o ON o.id = g.order_id WHERE g.id = ?
                    """, arguments: [grant]
            ).map { row in
                let provider: String? = row["provider"]
                let orderID: String? = row["provider_order_id"]
                return GrantOwner(
                    email: row["email"], product: row["product"],
                    order: provider.map { "\($0) \(orderID ?? "")" }, revoked: (row["revoked_at"] as String?) != nil)
            }
        }
    }

    /// Every grant on record (revoked ones too): the candidates `lectern trace` checks a mixed copy against.
    public func grantIDs() throws -> [Int64] {
        try store.read { try Int64.fetchAll($0, sql: "SELECT id FROM grants ORDER BY id") }
    }
}
