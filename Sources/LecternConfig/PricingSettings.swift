import LecternCore

/// Reads a `ProductPricing` from a course's front matter or a `[products.<id>]` table, the same keys in both:
///
///     price = "49.00"                    # or, pay what you want: min_price = "5.00", suggested_price = "15.00"
///     currency = "USD"                   # default: the site's
///     prices = { EUR = "45.00", INR = "1999" }   # regional prices (pay what you want: the minimum there)
///     stripe_payment_link = "plink_…"    # the Payment Link(s) that sell it
///     stripe_price = "price_…"           # the Price(s): read from the session's line items (Stripe's API)
///     lemonsqueezy_variant = 123456      # the variant(s) that sell it
///
/// Every amount is validated for its currency (no "49.999", no "4.5" yen), so a typo fails the build at its
/// line instead of flagging every real order.
package enum PricingSettings {
    package static let keys: Set<String> = [
        "price", "currency", "prices", "min_price", "suggested_price", "stripe_payment_link", "stripe_price",
        "lemonsqueezy_variant",
    ]

    /// - Parameter what: how errors name the thing priced ("course `sqlite`", "product `bundle`").
    package static func read(_ table: SettingsTable, defaultCurrency: String, what: String) throws -> ProductPricing {
        let currency = try table.string("currency") ?? defaultCurrency
        func money(_ key: String, _ text: String, in code: String, name: String? = nil) throws -> Money {
            guard let money = Money(decimal: text, currency: code) else {
                throw table.error(
                    table.line(of: key) != nil ? key : "currency",
                    "`\(name ?? key)` \"\(text)\" in \(code) is not a valid amount",
                    hint: "write a decimal string such as \"49.00\" (\"4900\" in a currency without cents, e.g. JPY)"
                        + " and a three-letter currency code")
            }
            return money
        }
        let fixed = try table.string("price")
        let minimumText = try table.string("min_price")
        let suggestedText = try table.string("suggested_price")
        var minimum: Money?
        let price: Money
        switch (fixed, minimumText) {
        case (let fixed?, nil):
            guard suggestedText == nil else {
                throw table.error(
                    "suggested_price", "\(what) has `suggested_price` but no `min_price`",
                    hint: "pay what you want needs `min_price` (the least accepted); a fixed price needs only `price`")
            }
            price = try money("price", fixed, in: currency)
        case (nil, let minimumText?):
            let least = try money("min_price", minimumText, in: currency)
            price = try suggestedText.map { try money("suggested_price", $0, in: currency) } ?? least
            guard price.minorUnits >= least.minorUnits else {
                throw table.error(
                    "suggested_price", "\(what) suggests less than its `min_price`",
                    hint: "the suggested price is what the page shows; make it at least \(least.decimalString)")
            }
            minimum = least
        case (.some, .some):
            throw table.error(
                "min_price", "\(what) has both `price` and `min_price`",
                hint: "a fixed price: `price`; pay what you want: `min_price` and `suggested_price`")
        case (nil, nil):
            throw LecternError(
                table.step, file: table.file, line: 1, "\(what) has no price",
                hint: "add `price = \"49.00\"` (\"0\" for free), or pay what you want: `min_price` and"
                    + " `suggested_price`; a product without a price could be bought for any amount")
        }
        var regional: [Money] = []
        if let prices = try table.table("prices") {
            for code in prices.entries.keys.sorted() {
                guard let text = try prices.string(code), code.count == 3, code == code.uppercased(),
                    code != price.currency
                else {
                    throw LecternError(
                        table.step, file: table.file, line: prices.line(of: code) ?? table.line(of: "prices"),
                        "`prices.\(code)` is not a regional price",
                        hint: "one upper-case currency code other than \(price.currency) per line, "
                            + "e.g. `EUR = \"45.00\"`")
                }
                regional.append(try money("prices", text, in: code, name: "prices.\(code)"))
            }
        }
        var providerIDs: [String] = []
        for kind in providerKinds {
            for id in try identifiers(table, kind.key) {
                guard kind.isValid(id) else {
                    throw table.error(kind.key, "`\(id)` is not \(kind.what)", hint: kind.hint)
                }
                providerIDs.append(kind.stored(id))
            }
        }
        return ProductPricing(price: price, regional: regional, minimum: minimum, providerIDs: providerIDs)
    }

    /// The provider ids a product may be sold under: each key, how an id looks, how the catalog stores it.
    private static let providerKinds:
        [(
            key: String, what: String, hint: String, isValid: @Sendable (String) -> Bool,
            stored: @Sendable (String) -> String
        )] = [
            (
                "stripe_payment_link", "a Stripe Payment Link id",
                "copy the id (plink_…) from the Payment Link's page in the Stripe Dashboard, not its URL",
                ProviderProductID.isStripePaymentLink, ProviderProductID.stripePaymentLink
            ),
            (
                "stripe_price", "a Stripe price id",
                "copy the id (price_…) from the product's Pricing section in the Stripe Dashboard",
                ProviderProductID.isStripePrice, ProviderProductID.stripePrice
            ),
            (
                "lemonsqueezy_variant", "a Lemon Squeezy variant id",
                "the number in the product's Variants list (Products → the product → Variants)",
                ProviderProductID.isLemonSqueezyVariant, ProviderProductID.lemonSqueezyVariant
            ),
        ]

    /// Ids written as numbers or text, one or a list.
    private static func identifiers(_ table: SettingsTable, _ key: String) throws -> [String] {
        guard let entry = table.entries[key] else { return [] }
        let items: [SettingsTable.Value]
        if case .list(let list) = entry.value { items = list } else { items = [entry.value] }
        return try items.map {
            switch $0 {
            case .integer(let number): return String(number)
            case .string(let text): return text
            default: throw table.error(key, "`\(key)` must be an id or a list of ids")
            }
        }
    }
}
