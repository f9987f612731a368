import Foundation

/// A subscription's state as a provider reports it (a Stripe subscription or invoice, a Lemon Squeezy
/// subscription, a Standard Webhooks `subscription.updated`), reduced to what access depends on. The grant
/// bought with the subscription stays open until `accessEnd(grace:)`; the newest state by the provider's own
/// time wins, whatever order the events arrive in.
public struct SubscriptionChange: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Paid up (or trialing): access runs to the end of the period, plus the grace period.
        case active
        /// A renewal payment failed and the provider is retrying: access runs on for the grace period.
        case pastDue = "past_due"
        /// Cancelled, expired, unpaid after every retry: access ends.
        case ended
    }

    /// The provider's id of the subscription (Stripe `sub_…`, Lemon Squeezy's subscription id).
    public var ref: String
    public var status: Status
    /// The end of the period paid for; nil when the provider does not say (then access is open while active).
    public var periodEnd: Date?
    /// Cancelled at the period's end: access stops at `periodEnd`, without grace.
    public var cancelsAtPeriodEnd: Bool
    /// When an ended subscription ended, if the provider says (else `at`).
    public var endedAt: Date?
    /// The provider's time of this state.
    public var at: Date
    /// The purchase the subscription came from, when the provider links it only this way (Lemon Squeezy's
    /// `order_id`): that order's grant joins the subscription.
    public var orderID: String?
    /// Other ids the provider's refunds and disputes may name for this subscription's payments (invoice,
    /// payment intent, charge): recorded so a refund of any of them finds the subscription's order.
    public var paymentRefs: [String]

    public init(
        ref: String, status: Status, periodEnd: Date? = nil, cancelsAtPeriodEnd: Bool = false, endedAt: Date? = nil,
        at: Date, orderID: String? = nil, paymentRefs: [String] = []
    ) {
        self.ref = ref
        self.status = status
        self.periodEnd = periodEnd
        self.cancelsAtPeriodEnd = cancelsAtPeriodEnd
        self.endedAt = endedAt
        self.at = at
        self.orderID = orderID
        self.paymentRefs = paymentRefs
    }

    /// When access ends in this state; nil for no end (active, no period given). `grace` covers a renewal
    /// that is late or being retried; a cancellation at the period's end gets none.
    public func accessEnd(grace: TimeInterval) -> Date? {
        switch status {
        case .active:
            guard let periodEnd else { return nil }
            return cancelsAtPeriodEnd ? periodEnd : periodEnd.addingTimeInterval(grace)
        case .pastDue:
            return max(periodEnd ?? at, at).addingTimeInterval(grace)
        case .ended:
            return endedAt ?? at
        }
    }
}
