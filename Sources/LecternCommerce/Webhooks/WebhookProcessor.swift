import Foundation
import LecternCore
import LecternStore

/// Applies a verified payment event to the store, exactly once: the event-id claim, the order, the
/// grant and the e-mail with the signed link commit together (one savepoint of a group-committed
/// transaction, see `GroupCommit`), or none of them do.
public struct WebhookProcessor: Sendable {
    public enum Outcome: Equatable, Sendable {
        /// Newly recorded, with what it did.
        case recorded(WebhookEffect)
        /// The event id was seen before: nothing changed.
        case duplicate
    }

    /// What a payment buys and what it must be paid at, from the current build's catalog (re-read after a
    /// rebuild, see `LiveBundle` and `BuildManifest.sale(for:)`); nil for a product the catalog does not sell.
    public typealias Catalog = @Sendable (PaymentEvent.Payment) -> BuildManifest.Sale?

    let store: Store
    let catalog: Catalog
    let links: AccessLinks
    /// How long a subscription's access outlasts its paid period: a renewal that is late or being retried
    /// (`[subscriptions] grace`).
    let subscriptionGrace: TimeInterval
    /// When a dispute withdraws access (`[daemon] revoke_on_dispute`).
    let disputePolicy: DisputePolicy
    private let commits: GroupCommit<Outcome>

    public init(
        store: Store, catalog: @escaping Catalog, links: AccessLinks, subscriptionGrace: TimeInterval = 3 * 86_400,
        disputePolicy: DisputePolicy = .opened
    ) {
        self.store = store
        self.catalog = catalog
        self.subscriptionGrace = subscriptionGrace
        self.disputePolicy = disputePolicy
        self.links = links
        commits = GroupCommit(store: store)
    }

    /// - Throws: `HTTPProblem` 422 for an unknown product (nothing written), 503 when the store fails.
    public func process(_ event: PaymentEvent, rawBody: Data, now: Date = Date()) async throws(HTTPProblem) -> Outcome {
        // Every product that can be sold has a price (a build error otherwise), and every payment is
        // checked against it: a product without one would be granted at any amount.
        var resolved = event
        var pricing: ProductPricing?
        var known = false
        if case .paid(var payment) = event.action, let sale = catalog(payment) {
            // The product the provider's own id maps to replaces one a buyer may have named.
            payment.product = sale.product
            resolved.action = .paid(payment)
            // lecternd's own checkout (Alipay, WeChat Pay) asked for an exact price, signed by the creator's key.
            pricing = payment.quotedPrice.map { ProductPricing(price: $0) } ?? sale.pricing
            // A free trial lists nothing to compare: it grants when the creator's own Payment Link or Price
            // set it up; named by a buyer-settable field, it is flagged as any price mismatch is.
            if payment.isFreeTrial && sale.mapped { pricing = nil }
        } else if case .paid(let payment) = event.action {
            // Recorded already (from Stripe's API on the success page, which reads the line items a webhook
            // lacks): acknowledged, so the provider stops retrying; nothing is added.
            if (try? store.hasOrder(provider: event.provider.rawValue, orderID: payment.orderID)) == true {
                known = true
            } else {
                guard !payment.product.isEmpty else {
                    throw .malformed(
                        "the session names no product (payment_link, metadata.product, metadata.course or "
                            + "client_reference_id)")
                }
                throw .unknownProduct(payment.product)
            }
        }
        let processor = self
        let price = pricing
        let event = resolved
        let recordedAlready = known
        do {
            return try await commits.submit { ledger in
                let provider = event.provider.rawValue
                let claimed = try ledger.claimEvent(
                    provider: provider, eventID: event.eventID, type: event.type, rawBody: rawBody, now: now)
                guard claimed else { return .duplicate }
                let result =
                    recordedAlready
                    ? .alreadyRecorded : try processor.apply(event, expectedPrice: price, ledger: ledger, now: now)
                try ledger.setEventResult(result, provider: provider, eventID: event.eventID)
                return .recorded(result)
            }
        } catch let problem as HTTPProblem {
            throw problem
        } catch {
            throw .storeUnavailable(cause: "\(error)")
        }
    }

    /// The event's effect, kept with the event.
    private func apply(
        _ event: PaymentEvent, expectedPrice: ProductPricing?, ledger: Ledger, now: Date
    ) throws -> WebhookEffect {
        let provider = event.provider.rawValue
        switch event.action {
        case .ignored:
            return .ignored

        case .paid(let payment):
            let buyer = try ledger.buyer(email: payment.email.value, now: now)
            // The price before the provider's discounts and tax added on top, when it reports one: a promotion
            // code or exclusive tax is a real checkout, not a mismatch; the discount and tax are recorded.
            let listed = payment.listAmount ?? payment.amount
            let flag =
                expectedPrice?.mismatch(
                    amount: listed, currency: payment.currency,
                    amountKind: payment.listAmount == nil ? "paid" : "list price",
                    source: payment.quotedPrice == nil ? "catalog says" : "the order asked for") ?? payment.giftProblem
            let pending = try ledger.pendingReversal(provider: provider, paymentRef: payment.paymentRef)
            let status: OrderStatus = flag != nil ? .flagged : (pending?.orderStatus ?? .paid)
            guard
                let order = try ledger.recordOrder(
                    provider: provider, payment: payment, buyer: buyer, status: status, flag: flag, now: now)
            else { return .alreadyRecorded }
            if flag != nil { return .flagged }
            if let pending {
                try ledger.clearPendingReversals(provider: provider, paymentRef: payment.paymentRef)
                return pending.beforePayment
            }
            // A subscription state recorded before its purchase (a cancellation, a renewal) applies at once. Only
            // a subscription has one (Lemon Squeezy's orders do not say whether they are: its states name them).
            let known =
                payment.subscriptionRef != nil || event.provider == .lemonsqueezy
                ? try ledger.knownSubscription(
                    provider: provider, ref: payment.subscriptionRef, orderID: payment.orderID) : nil
            // A gift's access is the recipient's: the order stays the giver's (a refund reaches it all the same).
            let holder = try payment.giftTo.map { try ledger.buyer(email: $0.value, now: now) } ?? buyer
            let grant = try ledger.grant(
                buyer: holder, order: order, product: payment.product,
                subscription: payment.subscriptionRef ?? known?.ref, endsAt: known?.endsAt, now: now)
            try ledger.enqueuePurchaseLetters(
                grant: grant, payer: payment.email, giftTo: payment.giftTo, on: payment.giftDate, hold: links.hold,
                now: now)
            return .granted

        case .disputed where disputePolicy == .lost:
            return .disputeOpened

        case .disputeClosed(let named, let won):
            let ref = try ledger.resolvePayment(provider: provider, ref: named)
            if won {
                return try ledger.restoreAfterDispute(provider: provider, paymentRef: ref, now: now)
                    ? .disputeWon : .ignored
            }
            let applied = try ledger.reverse(
                .disputed, provider: provider, paymentRef: ref, eventID: event.eventID, now: now)
            return applied ? ReversalKind.disputed.applied : ReversalKind.disputed.pending

        case .refunded(let named), .disputed(let named):
            let kind: ReversalKind
            if case .refunded = event.action { kind = .refunded } else { kind = .disputed }
            // A refund may name a renewal's payment intent or an invoice: what the order was recorded under.
            let ref = try ledger.resolvePayment(provider: provider, ref: named)
            let applied = try ledger.reverse(
                kind, provider: provider, paymentRef: ref, eventID: event.eventID, now: now)
            return applied ? kind.applied : kind.pending

        case .refundedPart(let named, let amount, let runningTotal):
            let ref = try ledger.resolvePayment(provider: provider, ref: named)
            // A refund for a payment not recorded yet is kept only as this event (the payment grants);
            // once refunds reach what was paid, it is a full refund and access is withdrawn.
            guard
                let totals = try ledger.recordRefund(
                    provider: provider, paymentRef: ref, amount: amount, runningTotal: runningTotal, now: now)
            else { return .ignored }
            guard totals.refunded >= totals.paid else { return .partiallyRefunded }
            _ = try ledger.reverse(.refunded, provider: provider, paymentRef: ref, eventID: event.eventID, now: now)
            return .refunded

        case .subscriptionChanged(let change):
            try link(change.paymentRefs, to: change.ref, provider: provider, event: event, ledger: ledger, now: now)
            // Lemon Squeezy: a refund names the subscription, the order was recorded under its own id.
            if let order = change.orderID {
                try link([change.ref], to: order, provider: provider, event: event, ledger: ledger, now: now)
            }
            guard
                try ledger.applySubscription(
                    provider: provider, change: change, endsAt: change.accessEnd(grace: subscriptionGrace))
            else { return .subscriptionStale }
            switch change.status {
            case .active: return .subscriptionActive
            case .pastDue: return .subscriptionPastDue
            case .ended: return .subscriptionEnded
            }

        case .paymentAliases(let target, let aliases):
            try link(aliases, to: target, provider: provider, event: event, ledger: ledger, now: now)
            return .paymentLinked
        }
    }

    /// Records other names of a payment, and applies a refund or dispute that arrived under one of them
    /// before the name was known (kept pending until now).
    private func link(
        _ aliases: [String], to target: String, provider: String, event: PaymentEvent, ledger: Ledger, now: Date
    ) throws {
        try ledger.recordAliases(provider: provider, target: target, aliases: aliases)
        let resolved = try ledger.resolvePayment(provider: provider, ref: target)
        for kind in try ledger.carryPendingReversals(provider: provider, from: aliases, to: resolved) {
            if try ledger.reverse(kind, provider: provider, paymentRef: resolved, eventID: event.eventID, now: now) {
                try ledger.clearPendingReversals(provider: provider, paymentRef: resolved)
            }
        }
    }
}
