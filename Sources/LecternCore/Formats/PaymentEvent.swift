import Foundation

/// When a dispute withdraws access (`[daemon] revoke_on_dispute`).
public enum DisputePolicy: String, Sendable {
    /// As soon as the buyer disputes the charge: the money is held from that moment.
    case opened
    /// Only when the dispute is lost: a buyer who disputes by mistake keeps reading meanwhile.
    case lost
}

/// A provider's webhook, reduced to what Lectern acts on. Each provider parser produces one of these.
public struct PaymentEvent: Sendable, Equatable {
    public enum Provider: String, Sendable, CaseIterable {
        case stripe, standard, lemonsqueezy
        /// Providers whose orders lecternd places itself (`/pay/<provider>`), with its own `out_trade_no`.
        case alipay, wechatpay
    }

    public struct Payment: Sendable, Equatable {
        /// The provider's id of the purchase (Stripe checkout session, Lemon Squeezy order, …).
        public var orderID: String
        /// The id later refund/dispute events name (Stripe payment_intent, …).
        public var paymentRef: String
        /// The product the payment names (metadata, `client_reference_id`, custom data): a buyer may have set it.
        public var product: String
        /// The provider's own ids of what was sold, as the creator configured them there (`ProviderProductID`):
        /// the first the catalog maps decides the product.
        public var providerProducts: [String]
        public var email: EmailAddress
        /// What the buyer paid, after discounts and with any tax added on top.
        public var amount: Int
        /// Upper-case ISO 4217.
        public var currency: String
        public var subscriptionRef: String?
        /// The price lecternd itself asked the provider to charge (its own checkout, signed by the
        /// creator's key): checked instead of the catalog's current price, which may have changed since.
        public var quotedPrice: Money?
        /// The price before discounts and before tax added on top (Stripe's `amount_subtotal`): what is checked
        /// against the catalog's price when the provider reports it; `amount` otherwise.
        public var listAmount: Int?
        /// The discount the provider applied (a promotion code, a 100 % coupon) and the tax it added, recorded
        /// with the order.
        public var discount = 0
        public var tax = 0
        /// A subscription's free trial: nothing due and no list price (Stripe: subscription mode, `amount_subtotal`
        /// 0, `no_payment_required`).
        public var isFreeTrial = false
        /// A gift: who gets the access (the payer gets a receipt), and the day it should arrive, if not now.
        public var giftTo: EmailAddress?
        public var giftDate: Date?
        /// Why a gift could not be understood (the recipient is not an address): the order is flagged.
        public var giftProblem: String?

        public init(
            orderID: String, paymentRef: String, product: String, email: EmailAddress, amount: Int, currency: String,
            subscriptionRef: String?, quotedPrice: Money? = nil, listAmount: Int? = nil, discount: Int = 0,
            tax: Int = 0,
            providerProducts: [String] = []
        ) {
            self.providerProducts = providerProducts
            self.listAmount = listAmount
            self.discount = discount
            self.tax = tax
            self.orderID = orderID
            self.paymentRef = paymentRef
            self.product = product
            self.email = email
            self.amount = amount
            self.currency = currency
            self.subscriptionRef = subscriptionRef
            self.quotedPrice = quotedPrice
        }
    }

    public enum Action: Sendable, Equatable {
        case paid(Payment)
        case refunded(paymentRef: String)
        /// Money given back, in minor units: all refunds so far (`runningTotal`, Alipay's `refund_fee`) or
        /// this refund alone (WeChat Pay). Access stays until the refunds reach the amount paid.
        case refundedPart(paymentRef: String, amount: Int, runningTotal: Bool)
        /// A dispute (chargeback) opened.
        case disputed(paymentRef: String)
        /// A dispute decided: `won` gives back what its opening took; lost withdraws access.
        case disputeClosed(paymentRef: String, won: Bool)
        /// A subscription's new state (renewed, past due, cancelled, resumed).
        case subscriptionChanged(SubscriptionChange)
        /// More names for a payment (a Stripe payment intent or charge paying invoice `target`): a refund naming
        /// one of `aliases` reverses what `target` paid for.
        case paymentAliases(target: String, aliases: [String])
        /// Recorded, acknowledged, no effect.
        case ignored
    }

    public var provider: Provider
    public var eventID: String
    public var type: String
    public var action: Action

    public init(provider: Provider, eventID: String, type: String, action: Action) {
        self.provider = provider
        self.eventID = eventID
        self.type = type
        self.action = action
    }
}
