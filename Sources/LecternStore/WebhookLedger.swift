import Foundation
import LecternCore

/// What an order's row says about it (`orders.status`).
public enum OrderStatus: String, Sendable, CaseIterable, Codable {
    case paid, refunded, disputed, flagged
}

/// What an event did, kept with it (`webhook_events.result`) and answered to the provider.
public enum WebhookEffect: String, Sendable, CaseIterable {
    /// Claimed, its effects not yet written (never seen after a commit: the claim and the effects are one).
    case processing
    case ignored, granted, flagged
    /// A second event for a purchase already recorded (`async_payment_succeeded` after `completed`).
    case alreadyRecorded = "already-recorded"
    case refunded, disputed
    /// Part of a payment given back: recorded on the order, access kept.
    case partiallyRefunded = "partially-refunded"
    /// A reversal for a payment not seen yet, kept and applied when the payment arrives …
    case refundedPending = "refunded-pending"
    case disputedPending = "disputed-pending"
    /// … which then records the order reversed and grants nothing.
    case refundedBeforePayment = "refunded-before-payment"
    case disputedBeforePayment = "disputed-before-payment"
    case subscriptionActive = "subscription-active"
    /// A renewal failed: access runs on for the grace period while the provider retries.
    case subscriptionPastDue = "subscription-past-due"
    case subscriptionEnded = "subscription-ended"
    /// A dispute opened while access stays until it is decided (`revoke_on_dispute = "lost"`).
    case disputeOpened = "dispute-opened"
    /// A dispute won: access (withdrawn when it was opened) is back.
    case disputeWon = "dispute-won"
    /// Another name of a payment recorded (which payment intent paid which invoice), for later refunds.
    case paymentLinked = "payment-linked"
    /// An older subscription state than the one recorded: changes nothing.
    case subscriptionStale = "subscription-stale"
}

/// A refund or a dispute: what reverses a payment (`pending_reversals.kind`, and the order's status after).
public enum ReversalKind: String, Sendable {
    case refunded, disputed

    public var orderStatus: OrderStatus { self == .refunded ? .refunded : .disputed }
    /// The effect of this reversal: applied now, kept for a payment still to come, or met by that payment.
    public var applied: WebhookEffect { self == .refunded ? .refunded : .disputed }
    public var pending: WebhookEffect { self == .refunded ? .refundedPending : .disputedPending }
    public var beforePayment: WebhookEffect { self == .refunded ? .refundedBeforePayment : .disputedBeforePayment }
}

/// The webhook processor's named reads and writes, each inside the caller's transaction (one savepoint
/// of a group commit, see `WebhookProcessor`), so an event and all its effects commit together.
extension Ledger {
    /// Claims an event id; false when it was seen before (a provider's retry or duplicate).
    public func claimEvent(
        provider: String, eventID: String, type: String, rawBody: Data, now: Date
    ) throws -> Bool {
        let now = Store.timestamp(now)
        try db.execute(
            sql: """
                INSERT INTO webhook_events (provider, event_id, type, received_at, raw_body, result)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (provider, event_id) DO NOTHING
                """, arguments: [provider, eventID, type, now, rawBody, WebhookEffect.processing.rawValue])
        return db.changesCount == 1
    }

    public func setEventResult(_ effect: WebhookEffect, provider: String, eventID: String) throws {
        try db.execute(
            sql: "UPDATE webhook_events SET result = ? WHERE provider = ? AND event_id = ?",
            arguments: [effect.rawValue, provider, eventID])
    }

    /// A refund or dispute that arrived before its payment, if any.
    public func pendingReversal(provider: String, paymentRef: String) throws -> ReversalKind? {
        try String.fetchOne(
            db, sql: "SELECT kind FROM pending_reversals WHERE provider = ? AND payment_ref = ? ORDER BY id LIMIT 1",
            arguments: [provider, paymentRef]
        ).flatMap(ReversalKind.init(rawValue:))
    }

    public func clearPendingReversals(provider: String, paymentRef: String) throws {
        try db.execute(
            sql: "DELETE FROM pending_reversals WHERE provider = ? AND payment_ref = ?",
            arguments: [provider, paymentRef])
    }

    /// The new order's id, with a fresh `OrderNumber`; nil when this provider's order was recorded
    /// before (a second event for one purchase, e.g. `async_payment_succeeded` after `completed`).
    public func recordOrder(
        provider: String, payment: PaymentEvent.Payment, buyer: Int64, status: OrderStatus, flag: String?, now: Date
    ) throws -> Int64? {
        let now = Store.timestamp(now)
        return try Int64.fetchOne(
            db,
            sql: """
                INSERT INTO orders (provider, provider_order_id, payment_ref, buyer_id, product, amount, currency,
                  status, flag, created_at, updated_at, number, discount_amount, tax_amount, gift_to, gift_date,
                  subscription_ref)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (provider, provider_order_id) DO NOTHING RETURNING id
                """,
            arguments: [
                provider, payment.orderID, payment.paymentRef, buyer, payment.product, payment.amount,
                payment.currency, status.rawValue, flag, now, now, OrderNumber.random(), payment.discount, payment.tax,
                payment.giftTo?.value, payment.giftDate.map(Store.timestamp), payment.subscriptionRef,
            ])
    }

    /// Marks every order of the payment reversed and revokes its grants; false when no order has that
    /// payment yet, in which case the reversal is kept and applied when the payment arrives.
    public func reverse(
        _ kind: ReversalKind, provider: String, paymentRef: String, eventID: String, now: Date
    ) throws -> Bool {
        let now = Store.timestamp(now)
        let orders = try Int64.fetchAll(
            db, sql: "SELECT id FROM orders WHERE provider = ? AND payment_ref = ?",
            arguments: [provider, paymentRef])
        guard !orders.isEmpty else {
            try db.execute(
                sql: """
                    INSERT INTO pending_reversals (provider, payment_ref, kind, event_id, received_at)
                    VALUES (?, ?, ?, ?, ?)
                    """, arguments: [provider, paymentRef, kind.rawValue, eventID, now])
            return false
        }
        for order in orders {
            // Money refunded stays refunded: a dispute after it (or a dispute won) does not say otherwise.
            try db.execute(
                sql: "UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status != 'refunded'",
                arguments: [kind.orderStatus.rawValue, now, order])
            try db.execute(
                sql: "UPDATE grants SET revoked_at = ?, reason = ? WHERE order_id = ? AND revoked_at IS NULL",
                arguments: [now, kind.rawValue, order])
        }
        return true
    }

    /// Records money given back: `amount` is the total refunded so far (`runningTotal`, which providers
    /// may send out of order, so the largest wins) or one more refund (added; the event's id claim makes
    /// that exactly once). Returns what is now refunded and what was paid; nil when no order has that payment.
    public func recordRefund(
        provider: String, paymentRef: String, amount: Int, runningTotal: Bool, now: Date
    ) throws -> (refunded: Int, paid: Int)? {
        try db.execute(
            sql: runningTotal
                ? """
                UPDATE orders SET refunded_amount = \(db.dialect.greatest)(refunded_amount, ?), updated_at = ?
                WHERE provider = ? AND payment_ref = ?
                """
                : """
                UPDATE orders SET refunded_amount = refunded_amount + ?, updated_at = ?
                WHERE provider = ? AND payment_ref = ?
                """, arguments: [amount, Store.timestamp(now), provider, paymentRef])
        guard db.changesCount > 0 else { return nil }
        let row = try SQLRow.fetchOne(
            db,
            sql: """
                SELECT SUM(refunded_amount) AS refunded, SUM(amount) AS paid FROM orders
                WHERE provider = ? AND payment_ref = ?
                """,
            arguments: [provider, paymentRef])
        return (row?["refunded"] ?? 0, row?["paid"] ?? 0)
    }
}
