import Foundation
import LecternCore

extension ProviderParsers {
    /// A Checkout Session, from a webhook's `data.object` or from Stripe's API (`StripeAPI`, with its line
    /// items expanded): paid, or nothing to do yet.
    static func stripeCheckoutSession(_ object: JSONObject) throws(HTTPProblem) -> PaymentEvent.Action {
        // An unpaid completed session (delayed payment methods) is paid later by async_payment_succeeded;
        // `no_payment_required` is a 100 % coupon or a free trial: it grants like a payment.
        guard ["paid", "no_payment_required"].contains(object.string("payment_status") ?? "") else { return .ignored }
        // A Payment Link and a Price are set up in the creator's dashboard: the catalog maps them to what they
        // sell (the price only reaches lecternd with the line items, from the API). The metadata is the
        // creator's too; `client_reference_id` can be added to a link's URL by anyone, so it only names a
        // product when nothing else does (and is price-checked like everything else).
        let link = object.string("payment_link").map(ProviderProductID.stripePaymentLink)
        let price = object.first("line_items", "data")?.string("price", "id").map(ProviderProductID.stripePrice)
        // Nothing at all (a session named only by a Price, which webhooks do not carry): empty, refused by the
        // processor unless the order was recorded from Stripe's API already.
        let product =
            object.string("metadata", "product") ?? object.string("metadata", "course")
            ?? object.string("client_reference_id") ?? link ?? price ?? ""
        guard var amount = object.integer("amount_total"), var currency = object.string("currency") else {
            throw .malformed("missing `amount_total` or `currency`")
        }
        let session = try object.require("id")
        // Before discounts and exclusive tax (inclusive tax is inside it): what the catalog's price is
        // compared with. Every amount is checked before it is used.
        var subtotal = object.integer("amount_subtotal")
        var discount = object.integer("total_details", "amount_discount") ?? 0
        var tax = object.integer("total_details", "amount_tax") ?? 0
        // Adaptive Pricing before API 2025-03-31: `currency` is the buyer's, and the amounts in the creator's
        // own currency (the catalog's) are under `currency_conversion`. Its discount and tax are not given
        // in that currency, so none is recorded. (Newer sessions keep the creator's currency and describe
        // the buyer's in `presentment_details`.)
        if let source = object.string("currency_conversion", "source_currency") {
            guard let total = object.integer("currency_conversion", "amount_total") else {
                throw .malformed("`currency_conversion` without `amount_total`")
            }
            (amount, currency, discount, tax) = (total, source, 0, 0)
            subtotal = object.integer("currency_conversion", "amount_subtotal")
        }
        try checkAmounts(amount, subtotal, discount, tax)
        var payment = PaymentEvent.Payment(
            orderID: session,
            paymentRef: object.string("payment_intent") ?? object.string("subscription") ?? session,
            product: product, email: try object.email("customer_details", "email"),
            amount: amount, currency: currency.uppercased(), subscriptionRef: object.string("subscription"),
            listAmount: subtotal, discount: discount, tax: tax, providerProducts: [link, price].compactMap { $0 })
        stripeGift(object, into: &payment, now: Date())
        payment.isFreeTrial =
            object.string("mode") == "subscription" && object.string("payment_status") == "no_payment_required"
            && subtotal == 0
        return .paid(payment)
    }
}
