import Foundation
import LecternCore

/// `/access/claim?session_id=`: the browser that just paid is signed in without waiting for the
/// e-mail. A checkout session id is not a secret forever (it sits in the success URL, the browser's
/// history, the provider's dashboards), so the claim works once, and only for a few minutes after the
/// order was recorded; after that the answer is "check your e-mail".
public struct CheckoutClaims: Sendable {
    public enum Result: Sendable, Equatable {
        /// First claim within the window: sign this browser in to the grant.
        case granted(grant: Int64, product: String)
        /// No paid order for this session yet (the webhook may still be on its way).
        case notRecorded
        /// Already claimed, too old, refunded or revoked, or a gift (the access is the recipient's, not the
        /// paying browser's): the link goes by e-mail only.
        case refused
    }

    public let store: Store
    /// How long after the order a claim is honoured.
    public let window: TimeInterval

    public init(store: Store, window: TimeInterval) {
        self.store = store
        self.window = window
    }

    /// Reads first (a claim waiting for its webhook polls this several times a second, and must not
    /// take the writer from the webhooks each time); only a claimable order is then marked claimed,
    /// by a conditional UPDATE, so two simultaneous claims for one session cannot both succeed.
    ///
    /// `order` is the provider's order id: a Stripe Checkout session, or for the orders lecternd places
    /// itself (Alipay, WeChat Pay) its own `out_trade_no`, which the provider's return URL carries.
    public func claim(_ provider: PaymentEvent.Provider, order session: String, now: Date = Date()) throws -> Result {
        // No order id holds a NUL (and PostgreSQL text cannot): a `%00` in the URL is simply not an order.
        guard !session.utf8.contains(0) else { return .notRecorded }
        let row = try store.read { db in
            try SQLRow.fetchOne(
                db,
                sql: """
                    SELECT o.id AS order_id, o.status, o.created_at, o.claimed_at, o.gift_to,
                           g.id AS grant_id, g.product, g.revoked_at
                    FROM orders o LEFT JOIN grants g ON g.order_id = o.id
                    WHERE o.provider = ? AND o.provider_order_id = ? ORDER BY g.id LIMIT 1
                    """, arguments: [provider.rawValue, session])
        }
        guard let row else { return .notRecorded }
        let created = (row["created_at"] as String?).flatMap(Store.date(fromTimestamp:)) ?? .distantPast
        guard (row["status"] as String?) == OrderStatus.paid.rawValue, (row["claimed_at"] as String?) == nil,
            (row["revoked_at"] as String?) == nil, (row["gift_to"] as String?) == nil,
            let order: Int64 = row["order_id"],
            let grant: Int64 = row["grant_id"], let product: String = row["product"],
            now.timeIntervalSince(created) <= window
        else { return .refused }
        let claimed = try store.write { db in
            try db.execute(
                sql: "UPDATE orders SET claimed_at = ? WHERE id = ? AND claimed_at IS NULL",
                arguments: [Store.timestamp(now), order])
            return db.changesCount == 1
        }
        return claimed ? .granted(grant: grant, product: product) : .refused
    }
}

extension Store {
    /// Whether the provider's order is recorded (a webhook for a purchase the success page fulfilled).
    public func hasOrder(provider: String, orderID: String) throws -> Bool {
        try read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM orders WHERE provider = ? AND provider_order_id = ?)",
                arguments: [provider, orderID]) ?? false
        }
    }
}
