import Foundation
import LecternCore

/// Subscription events of each provider, as `SubscriptionChange`s. Each provider's object is read in both
/// its older and newer shapes where they differ (Stripe moved the period to subscription items and the
/// invoice's subscription under `parent` in API 2025-03-31).
extension ProviderParsers {
    // MARK: Stripe

    /// `customer.subscription.*`: the subscription object itself.
    static func stripeSubscription(_ object: JSONObject, at created: Date) throws(HTTPProblem) -> SubscriptionChange {
        let status: SubscriptionChange.Status
        switch object.string("status") ?? "" {
        case "active", "trialing": status = .active
        // `incomplete`: the first payment needs the buyer (3-D Secure); `past_due`: a renewal being retried.
        case "past_due", "incomplete": status = .pastDue
        default: status = .ended  // canceled, unpaid, incomplete_expired, paused
        }
        var periodEnd =
            object.time("current_period_end") ?? object.first("items", "data")?.time("current_period_end")
            ?? object.time("trial_end")
        // `cancel_at` (a date) or `cancel_at_period_end`: access stops then, without grace.
        let cancelAt = object.time("cancel_at")
        if let cancelAt { periodEnd = min(periodEnd ?? cancelAt, cancelAt) }
        return SubscriptionChange(
            ref: try object.require("id"), status: status, periodEnd: periodEnd,
            cancelsAtPeriodEnd: object.bool("cancel_at_period_end") == true || cancelAt != nil,
            endedAt: object.time("ended_at"), at: created)
    }

    /// `invoice.paid` / `invoice.payment_failed` of a subscription: renewed to the invoice's period end, or
    /// past due. Nil for an invoice of no subscription. The invoice's own id (and, in older API versions, its
    /// payment intent and charge) become names of the subscription's payment, for refunds.
    static func stripeInvoice(
        _ object: JSONObject, paid: Bool, at created: Date
    ) throws(HTTPProblem)
        -> SubscriptionChange?
    {
        guard
            let subscription = object.string("parent", "subscription_details", "subscription")
                ?? object.string("subscription")
        else { return nil }
        let refs = [object.string("id"), object.string("payment_intent"), object.string("charge")].compactMap { $0 }
        return SubscriptionChange(
            ref: subscription, status: paid ? .active : .pastDue,
            periodEnd: paid ? object.first("lines", "data")?.time("period", "end") : nil, at: created,
            paymentRefs: refs)
    }

    // MARK: Lemon Squeezy

    /// `subscription_*` events: the subscription object, ordered by its `updated_at`. A cancelled
    /// subscription keeps access until `ends_at` (the period already paid for).
    static func lemonSqueezySubscription(_ event: JSONObject) throws(HTTPProblem) -> SubscriptionChange {
        let id = try event.require("data", "id")
        guard let attributes = event.object("data", "attributes") else { throw .malformed("missing `attributes`") }
        guard let updated = attributes.time("updated_at") else {
            throw .malformed("`updated_at` is not a time: events could not be ordered")
        }
        let renews = attributes.time("renews_at") ?? attributes.time("trial_ends_at")
        let ends = attributes.time("ends_at")
        let order = attributes.string("order_id")
        switch attributes.string("status") ?? "" {
        case "active", "on_trial":
            return SubscriptionChange(ref: id, status: .active, periodEnd: renews, at: updated, orderID: order)
        case "cancelled":
            return SubscriptionChange(
                ref: id, status: .active, periodEnd: ends ?? renews, cancelsAtPeriodEnd: true, at: updated,
                orderID: order)
        case "past_due":
            return SubscriptionChange(ref: id, status: .pastDue, periodEnd: renews, at: updated, orderID: order)
        default:  // expired, unpaid, paused
            return SubscriptionChange(ref: id, status: .ended, endedAt: ends, at: updated, orderID: order)
        }
    }

    // MARK: Standard Webhooks (our schema, docs/webhooks.md)

    /// `subscription.updated`: `subscription_id`, `status` (active, past_due, canceled), `current_period_end`
    /// and `occurred_at` in Unix seconds, `cancel_at_period_end`.
    static func standardSubscription(_ data: JSONObject) throws(HTTPProblem) -> SubscriptionChange {
        guard let at = data.time("occurred_at") else {
            throw .malformed("`data.occurred_at` (Unix seconds) is required to order subscription events")
        }
        let status: SubscriptionChange.Status
        switch try data.require("status") {
        case "active", "trialing": status = .active
        case "past_due": status = .pastDue
        case "canceled", "cancelled", "ended": status = .ended
        case let other: throw .malformed("unknown subscription status `\(other.prefix(40))`")
        }
        return SubscriptionChange(
            ref: try data.require("subscription_id"), status: status, periodEnd: data.time("current_period_end"),
            cancelsAtPeriodEnd: data.bool("cancel_at_period_end") == true, at: at)
    }
}
