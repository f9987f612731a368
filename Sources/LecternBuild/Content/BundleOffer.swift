import Foundation
import LecternConfig
import LecternCore

/// A product of `lectern.toml` as the site sells it: its landing page (`/bundles/<id>/`), the courses it opens
/// in catalog order, and where its buy button goes. The saving is shown only when it is real: every course is
/// priced in the bundle's currency at a fixed price and together they cost more than the bundle.
public struct BundleOffer: Sendable {
    public var product: ProductSetting
    public var courses: [Course]
    public var buyURL: String
    /// Providers whose orders lecternd places from the page's pay form (`/pay/<provider>`).
    public var checkoutProviders: [PaymentEvent.Provider]

    public var id: String { product.id }
    public var path: String { SiteRoutes.bundle(product.id) }

    /// What buying the courses one by one would cost more than the bundle, in the bundle's currency; nil when
    /// that cannot be said honestly (mixed currencies, pay what you want, no saving).
    public var saving: Money? {
        let pricing = product.pricing
        guard !pricing.isPayWhatYouWant, product.interval == nil, courses.count > 1,
            courses.allSatisfy({ $0.price.currency == pricing.price.currency && !$0.pricing.isPayWhatYouWant })
        else { return nil }
        let separately = courses.reduce(0) { $0 + $1.price.minorUnits }
        guard separately > pricing.price.minorUnits else { return nil }
        return Money(minorUnits: separately - pricing.price.minorUnits, currency: pricing.price.currency)
    }

    /// Every product with the courses it opens; the buy button as a course's is chosen: the product's own
    /// `buy_url`, else lecternd's pay form for yuan with Alipay or WeChat Pay set up, else `[build] buy_url`.
    static func all(config: SiteConfig, products: [ProductSetting], courses: [Course]) throws -> [BundleOffer] {
        try products.map { product in
            var providers: [PaymentEvent.Provider] = []
            if product.price.currency == "CNY" && !product.price.isFree && product.buyURL == nil {
                if config.alipay != nil { providers.append(.alipay) }
                if config.weChatPay != nil { providers.append(.wechatpay) }
            }
            let payForm = providers.isEmpty ? nil : config.baseURL + SiteRoutes.bundle(product.id) + "#pay"
            let buyURL =
                product.buyURL ?? payForm ?? config.buyURLTemplate?.replacingOccurrences(
                    of: "{course}", with: product.id)
                ?? ""
            guard !buyURL.isEmpty || product.price.isFree else {
                throw LecternError(
                    .config, file: SiteConfig.fileName, line: product.line,
                    "product `\(product.id)` has a price but no buy button URL",
                    hint: "set `buy_url` under [products.\(product.id)], or `buy_url = \"https://…/{course}\"` "
                        + "under [build]")
            }
            return BundleOffer(
                product: product, courses: courses.filter { $0.productIDs.contains(product.id) }, buyURL: buyURL,
                checkoutProviders: providers)
        }
    }
}
