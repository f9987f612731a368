import Foundation
import LecternCore

/// Subscriptions and the other names of a payment, inside the webhook's transaction (see `WebhookLedger`).
///
/// A subscription's latest state is kept on its own (`subscription_states`), so a state that arrives before
/// the purchase (a cancellation, a renewal) is applied when the purchase's grant is made, and an older state
/// never overwrites a newer one. Its grants end when that state says (`grants.ends_at`).
extension Ledger {
    /// Records `change` unless a newer state of the subscription is recorded, and sets the end of its grants'
    /// access to `endsAt` (nil: open). False when the change is older than what is recorded.
    public func applySubscription(provider: String, change: SubscriptionChange, endsAt: Date?) throws -> Bool {
        let at = Store.timestamp(change.at)
        let ends = endsAt.map(Store.timestamp)
        try db.execute(
            sql: """
                INSERT INTO subscription_states (provider, ref, status, ends_at, state_at, order_id)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (provider, ref) DO UPDATE SET status = excluded.status, ends_at = excluded.ends_at,
                  state_at = excluded.state_at, order_id = coalesce(excluded.order_id, subscription_states.order_id)
                WHERE excluded.state_at >= subscription_states.state_at
                """, arguments: [provider, change.ref, change.status.rawValue, ends, at, change.orderID])
        guard db.changesCount > 0 else { return false }
        if let order = change.orderID {
            // Lemon Squeezy names the subscription's order only here: its grant joins the subscription (and the
            // processor records the subscription as a name of the order's payment, for refunds).
            try db.execute(
                sql: """
                    UPDATE grants SET subscription_ref = ? WHERE subscription_ref IS NULL
                      AND order_id IN (SELECT id FROM orders WHERE provider = ? AND provider_order_id = ?)
                    """, arguments: [change.ref, provider, order])
        }
        try db.execute(
            sql: "UPDATE grants SET ends_at = ? WHERE subscription_ref = ? AND revoked_at IS NULL",
            arguments: [ends, change.ref])
        return true
    }

    /// The subscription a new purchase belongs to and when its access ends, if a state of it was recorded
    /// before the purchase arrived (by its id, or, for Lemon Squeezy, by the purchase's order id).
    public func knownSubscription(
        provider: String, ref: String?, orderID: String
    ) throws -> (ref: String, endsAt: Date?)? {
        let row = try SQLRow.fetchOne(
            db,
            sql: """
                SELECT ref, ends_at FROM subscription_states WHERE provider = ? AND (ref = ? OR order_id = ?)
                ORDER BY state_at DESC LIMIT 1
                """, arguments: [provider, ref, orderID])
        guard let row else { return nil }
        return (row["ref"], (row["ends_at"] as String?).flatMap(Store.date(fromTimestamp:)))
    }

    /// Records that refunds and disputes naming any of `aliases` are about the payment `target`.
    public func recordAliases(provider: String, target: String, aliases: [String]) throws {
        for alias in aliases where alias != target && !alias.isEmpty {
            try db.execute(
                sql: """
                    INSERT INTO payment_aliases (provider, alias, target) VALUES (?, ?, ?)
                    ON CONFLICT (provider, alias) DO UPDATE SET target = excluded.target
                    """, arguments: [provider, alias, target])
        }
    }

    /// The payment reference an order was recorded under, for a reference a refund or dispute names: itself
    /// when an order has it, else where its aliases lead (a payment intent → its invoice → the subscription).
    public func resolvePayment(provider: String, ref: String) throws -> String {
        var current = ref
        // A few hops at most (payment intent → invoice → subscription); a cycle cannot loop for ever.
        for _ in 0..<4 {
            let hasOrder =
                try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM orders WHERE provider = ? AND payment_ref = ?)",
                    arguments: [provider, current]) ?? false
            if hasOrder { return current }
            guard
                let next = try String.fetchOne(
                    db, sql: "SELECT target FROM payment_aliases WHERE provider = ? AND alias = ?",
                    arguments: [provider, current])
            else { return current }
            current = next
        }
        return current
    }

    /// Reversals that arrived under a name learnt only now (a refund of a payment intent before the invoice
    /// event linking it): moved to the payment they are about, and returned so they can be applied.
    public func carryPendingReversals(
        provider: String, from aliases: [String], to target: String
    ) throws
        -> [ReversalKind]
    {
        var kinds: [ReversalKind] = []
        for alias in aliases where alias != target {
            if let kind = try pendingReversal(provider: provider, paymentRef: alias) {
                kinds.append(kind)
                try db.execute(
                    sql: "UPDATE pending_reversals SET payment_ref = ? WHERE provider = ? AND payment_ref = ?",
                    arguments: [target, provider, alias])
            }
        }
        return kinds
    }

    /// A dispute won: the orders of the payment marked disputed are paid again and the grants their dispute
    /// withdrew are back; a dispute kept for a payment still to come is dropped. False when nothing changed.
    public func restoreAfterDispute(provider: String, paymentRef: String, now: Date) throws -> Bool {
        try db.execute(
            sql: """
                UPDATE grants SET revoked_at = NULL, reason = NULL WHERE reason = ? AND order_id IN
                  (SELECT id FROM orders WHERE provider = ? AND payment_ref = ? AND status = ?)
                """, arguments: [ReversalKind.disputed.rawValue, provider, paymentRef, OrderStatus.disputed.rawValue])
        var changed = db.changesCount
        // An order disputed before its payment was recorded never had a grant: it stays disputed (the creator
        // can grant it with `lectern grant`), rather than read paid with no access.
        try db.execute(
            sql: """
                UPDATE orders SET status = ?, updated_at = ? WHERE provider = ? AND payment_ref = ? AND status = ?
                  AND EXISTS (SELECT 1 FROM grants WHERE order_id = orders.id)
                """,
            arguments: [
                OrderStatus.paid.rawValue, Store.timestamp(now), provider, paymentRef, OrderStatus.disputed.rawValue,
            ])
        changed += db.changesCount
        try db.execute(
            sql: "DELETE FROM pending_reversals WHERE provider = ? AND payment_ref = ? AND kind = ?",
            arguments: [provider, paymentRef, ReversalKind.disputed.rawValue])
        return changed + db.changesCount > 0
    }
}
