/// What a product (a course, a bundle, all-access) costs, and the names payment providers give it.
///
/// A payment is checked against this before anything is granted: the list price (before the provider's
/// discounts, before tax added on top) must equal the price in the currency paid, or reach the minimum of a
/// pay-what-you-want product. A currency the catalog does not price the product in is a mismatch.
public struct ProductPricing: Sendable, Equatable {
    /// The price pages show: the fixed price, or the suggested one of a pay-what-you-want product.
    public var price: Money
    /// The same product in other currencies (regional prices), each exact — or, pay what you want, the least
    /// accepted in that currency.
    public var regional: [Money]
    /// Pay what you want: the least accepted in `price`'s currency. Nil for a fixed price.
    public var minimum: Money?
    /// What the creator configured at a provider for this product (`ProviderProductID`): a payment naming one
    /// of these is for this product, whatever a buyer-settable field says.
    public var providerIDs: [String]

    public init(price: Money, regional: [Money] = [], minimum: Money? = nil, providerIDs: [String] = []) {
        self.price = price
        self.regional = regional
        self.minimum = minimum
        self.providerIDs = providerIDs
    }

    /// From the manifest's fields, where bundles built before regional prices lack the optional ones.
    init(fixedAt minorUnits: Int, currency: String, regional: [Money]?, minimum: Int?, providerIDs: [String]?) {
        self.init(
            price: Money(minorUnits: minorUnits, currency: currency), regional: regional ?? [],
            minimum: minimum.map { Money(minorUnits: $0, currency: currency) }, providerIDs: providerIDs ?? [])
    }

    public var isPayWhatYouWant: Bool { minimum != nil }

    /// The price (or, pay what you want, the minimum) in `currency`; nil when the product is not sold in it.
    public func floor(in currency: String) -> Money? {
        if currency == price.currency { return minimum ?? price }
        return regional.first { $0.currency == currency }
    }

    /// Why a payment of `amount` in `currency` does not buy this product; nil when it does. `amountKind` and
    /// `source` word the reason the creator reads in `lectern orders` ("list price" / "paid"; "catalog says").
    public func mismatch(
        amount: Int, currency: String, amountKind: String = "list price", source: String = "catalog says"
    ) -> String? {
        guard let floor = floor(in: currency) else {
            let sold = ([price] + regional).map(\.currency).joined(separator: ", ")
            return
                "price mismatch: \(amountKind) \(amount) \(currency), \(source) \(price.minorUnits) \(price.currency)"
                + (regional.isEmpty ? "" : " (sold in \(sold))")
        }
        if isPayWhatYouWant {
            return amount >= floor.minorUnits
                ? nil
                : "below the minimum: \(amountKind) \(amount) \(currency), the least accepted is \(floor.minorUnits)"
        }
        return amount == floor.minorUnits
            ? nil : "price mismatch: \(amountKind) \(amount) \(currency), \(source) \(floor.minorUnits) \(currency)"
    }
}

/// How a provider names a product the creator set up there, as the catalog stores it: `stripe:plink_…` (a
/// Payment Link), `lemonsqueezy:<variant id>`. Payment Links and variants are configured in the provider's
/// dashboard, so a buyer cannot change which one a checkout came from.
public enum ProviderProductID {
    public static func stripePaymentLink(_ id: String) -> String { "stripe:" + id }
    public static func lemonSqueezyVariant(_ id: String) -> String { "lemonsqueezy:" + id }
    /// A Stripe Price (`price_…`): named by a session's line items, which only Stripe's API returns.
    public static func stripePrice(_ id: String) -> String { "stripe-price:" + id }

    /// How a creator knows it: "Payment Link plink_…", "Lemon Squeezy variant 123".
    public static func describe(_ id: String) -> String {
        if id.hasPrefix("stripe:") { return "Payment Link \(id.dropFirst(7))" }
        if id.hasPrefix("lemonsqueezy:") { return "Lemon Squeezy variant \(id.dropFirst(13))" }
        if id.hasPrefix("stripe-price:") { return "Stripe price \(id.dropFirst(13))" }
        return id
    }

    /// `plink_` and 1–200 letters or digits, as Stripe writes them.
    public static func isStripePaymentLink(_ id: String) -> Bool {
        id.hasPrefix("plink_") && (7...206).contains(id.utf8.count)
            && id.dropFirst(6).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// `price_` and 1–200 letters or digits.
    public static func isStripePrice(_ id: String) -> Bool {
        id.hasPrefix("price_") && (7...206).contains(id.utf8.count)
            && id.dropFirst(6).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// A Lemon Squeezy variant id: 1–18 digits.
    public static func isLemonSqueezyVariant(_ id: String) -> Bool {
        (1...18).contains(id.utf8.count) && id.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
