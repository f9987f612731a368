import Foundation
import LecternCore

/// Turns each provider's verified JSON into a `PaymentEvent`. Unknown event types become `.ignored`
/// (recorded and acknowledged), malformed known ones a 400.
public enum ProviderParsers {
    /// Minor units any amount from a provider must fall in (10¹² cents is ten billion dollars).
    static let moneyRange = 0...1_000_000_000_000

    /// Every amount of a payment, checked before any arithmetic (an absent one is not checked).
    static func checkAmounts(_ amounts: Int?...) throws(HTTPProblem) {
        guard amounts.allSatisfy({ $0.map(moneyRange.contains) ?? true }) else {
            throw .malformed("an amount is negative or beyond \(moneyRange.upperBound)")
        }
    }

    // MARK: Stripe

    public static func stripe(_ body: Data) throws(HTTPProblem) -> PaymentEvent {
        let event = try JSONObject(data: body)
        let id = try event.require("id")
        let type = try event.require("type")
        guard let object = event.object("data", "object") else { throw .malformed("missing `data.object`") }
        let createdSeconds = event.integer("created") ?? 0
        guard TokenVerifier.validTimes.contains(createdSeconds) else {
            throw .malformed("`created` is not a time between 1970 and 9999")
        }
        let created = Date(timeIntervalSince1970: TimeInterval(createdSeconds))
        let action: PaymentEvent.Action
        switch type {
        case "checkout.session.completed", "checkout.session.async_payment_succeeded":
            action = try Self.stripeCheckoutSession(object)
        case "charge.refunded":
            // A charge still partly kept (`refunded: false`) names all refunds so far in `amount_refunded`. A
            // renewal's charge names its payment intent, matched to the subscription through `invoice.paid`.
            guard let ref = object.string("payment_intent") ?? object.string("id") else {
                throw .malformed("the charge names no `payment_intent` or `id`")
            }
            if object.bool("refunded") == false, let refunded = object.integer("amount_refunded") {
                guard Self.moneyRange.contains(refunded) else { throw .malformed("`amount_refunded` is out of range") }
                action = .refundedPart(paymentRef: ref, amount: refunded, runningTotal: true)
            } else {
                action = .refunded(paymentRef: ref)
            }
        case "charge.dispute.created":
            guard let ref = object.string("payment_intent") ?? object.string("charge") else {
                throw .malformed("the dispute names no `payment_intent` or `charge`")
            }
            action = .disputed(paymentRef: ref)
        case "charge.dispute.closed":
            guard let ref = object.string("payment_intent") ?? object.string("charge") else {
                throw .malformed("the dispute names no `payment_intent` or `charge`")
            }
            // `warning_closed`: an inquiry that never became a chargeback, as good as won.
            action = .disputeClosed(paymentRef: ref, won: object.string("status") != "lost")
        case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
            "customer.subscription.resumed", "customer.subscription.paused":
            action = .subscriptionChanged(try Self.stripeSubscription(object, at: created))
        case "invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed":
            action =
                try Self.stripeInvoice(object, paid: type != "invoice.payment_failed", at: created)
                .map(PaymentEvent.Action.subscriptionChanged) ?? .ignored
        case "invoice_payment.paid":
            // API 2025-03-31 and later: which payment intent (or charge) paid which invoice.
            let invoice = try object.require("invoice")
            let paidBy = [object.string("payment", "payment_intent"), object.string("payment", "charge")]
            action = .paymentAliases(target: invoice, aliases: paidBy.compactMap { $0 })
        default:
            action = .ignored
        }
        return PaymentEvent(provider: .stripe, eventID: id, type: type, action: action)
    }

    // MARK: Standard Webhooks (our schema, docs/webhooks.md)

    public static func standard(_ body: Data, id: String) throws(HTTPProblem) -> PaymentEvent {
        let event = try JSONObject(data: body)
        let type = try event.require("type")
        guard let data = event.object("data") else { throw .malformed("missing `data`") }
        let action: PaymentEvent.Action
        switch type {
        case "payment.succeeded":
            guard let amount = data.integer("amount") else {
                throw .malformed("`data.amount` must be an integer in minor units")
            }
            let payment = try data.require("payment_id")
            // Optional, as Stripe and Lemon Squeezy report them: the price before discounts and tax on top
            // (checked against the catalog instead of `amount`), the discount and the tax.
            let listAmount = data.integer("list_amount")
            let discount = data.integer("discount") ?? 0
            let tax = data.integer("tax") ?? 0
            try Self.checkAmounts(amount, listAmount, discount, tax)
            var paid = PaymentEvent.Payment(
                orderID: data.string("order_id") ?? payment, paymentRef: payment,
                product: try data.require("product"),
                email: try data.email("email"), amount: amount,
                currency: try data.require("currency").uppercased(),
                subscriptionRef: data.string("subscription_id"),
                listAmount: listAmount, discount: discount, tax: tax)
            gift(to: data.string("gift_to"), on: data.string("gift_date"), into: &paid, now: Date())
            action = .paid(paid)
        case "subscription.updated":
            action = .subscriptionChanged(try Self.standardSubscription(data))
        case "payment.refunded":
            action = .refunded(paymentRef: try data.require("payment_id"))
        case "payment.disputed":
            action = .disputed(paymentRef: try data.require("payment_id"))
        case "payment.dispute_closed":
            let outcome = try data.require("outcome")
            guard ["won", "lost"].contains(outcome) else { throw .malformed("`data.outcome` must be won or lost") }
            action = .disputeClosed(paymentRef: try data.require("payment_id"), won: outcome == "won")
        default:
            action = .ignored
        }
        return PaymentEvent(provider: .standard, eventID: id, type: type, action: action)
    }

    // MARK: Lemon Squeezy

    public static func lemonSqueezy(_ body: Data) throws(HTTPProblem) -> PaymentEvent {
        let event = try JSONObject(data: body)
        let type = try event.require("meta", "event_name")
        let orderID = try event.require("data", "id")
        let attributes = event.object("data", "attributes") ?? JSONObject([:])
        // Lemon Squeezy sends no event id; an order has one event of each kind, but one refund event per
        // refund, each with all refunds so far: those are told apart by that amount.
        var eventID = "\(type):\(orderID)"
        let action: PaymentEvent.Action
        switch type {
        case "order_created":
            guard attributes.string("status") == "paid" else {
                action = .ignored
                break
            }
            // The variant is the creator's (set up in their store); custom data can be added to a checkout URL by
            // anyone, so it only names a product when the catalog maps no variant (and is price-checked).
            let variant = attributes.integer("first_order_item", "variant_id").map {
                ProviderProductID.lemonSqueezyVariant(String($0))
            }
            guard
                let product = event.string("meta", "custom_data", "product")
                    ?? event.string("meta", "custom_data", "course") ?? variant
            else {
                throw .malformed(
                    "the order names no product (first_order_item.variant_id, meta.custom_data.product or .course)")
            }
            guard let amount = attributes.integer("total") else { throw .malformed("missing `data.attributes.total`") }
            // `subtotal` is the price before the discount and before tax added on top (999 + 200 tax = 1199 in
            // their example): what the catalog's price is compared with.
            let subtotal = attributes.integer("subtotal")
            let discount = attributes.integer("discount_total") ?? 0
            let tax = attributes.integer("tax") ?? 0
            try Self.checkAmounts(amount, subtotal, discount, tax)
            var paid = PaymentEvent.Payment(
                orderID: orderID, paymentRef: orderID, product: product,
                email: try attributes.email("user_email"), amount: amount,
                currency: try attributes.require("currency").uppercased(), subscriptionRef: nil,
                listAmount: subtotal, discount: discount, tax: tax, providerProducts: variant.map { [$0] } ?? [])
            gift(
                to: event.string("meta", "custom_data", "gift_to"),
                on: event.string("meta", "custom_data", "gift_date"),
                into: &paid, now: Date())
            // Nothing listed, nothing taken off, nothing paid: a subscription's free trial (a 100 % code shows as
            // a discount). It grants from the creator's own variant, as Stripe's trials do from their links.
            paid.isFreeTrial = amount == 0 && (subtotal ?? 0) == 0 && discount == 0
            action = .paid(paid)
        case "order_refunded":
            // The event carries the order: all refunds so far against its total. Less: a partial refund,
            // access stays; all of it (or no amount given): a full refund, kept even before its order.
            let refunded = attributes.integer("refunded_amount")
            let total = attributes.integer("total")
            guard [refunded ?? 0, total ?? 0].allSatisfy(Self.moneyRange.contains) else {
                throw .malformed("`refunded_amount` or `total` is out of range")
            }
            if let refunded { eventID += ":\(refunded)" }
            if let refunded, let total, refunded < total {
                action = .refundedPart(paymentRef: orderID, amount: refunded, runningTotal: true)
            } else {
                action = .refunded(paymentRef: orderID)
            }
        case "subscription_created", "subscription_updated", "subscription_cancelled", "subscription_resumed",
            "subscription_expired", "subscription_paused", "subscription_unpaused":
            let change = try Self.lemonSqueezySubscription(event)
            // One event per kind and state: the state's time tells a retry from a new change.
            eventID += ":\(attributes.string("updated_at") ?? "")"
            action = .subscriptionChanged(change)
        case "subscription_payment_refunded":
            // A subscription invoice refunded: the subscription's order (its `order_id`, recorded with the
            // subscription) is reversed.
            let subscription = try attributes.require("subscription_id")
            eventID += ":\(attributes.string("updated_at") ?? "")"
            action = .refunded(paymentRef: subscription)
        default:
            action = .ignored
        }
        return PaymentEvent(provider: .lemonsqueezy, eventID: eventID, type: type, action: action)
    }
}
