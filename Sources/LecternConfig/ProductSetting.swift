import LecternCore

/// `[products.<id>]` in `lectern.toml`: something sold besides a single course — a bundle of courses or an
/// all-access pass — with its price (`PricingSettings`: fixed, regional, pay what you want) and the provider
/// ids that sell it. It opens the courses it lists (`courses = [...]`) and those that list it in their front
/// matter (`products: [all-access]`); with courses of its own it gets a landing page (`/bundles/<id>/`).
///
/// Every product id that can be sold has a price, so the webhook checks a bundle's payment exactly as
/// it checks a course's: an id without one would be granted at any amount.
public struct ProductSetting: Sendable, Equatable {
    public var id: String
    public var title: String
    public var summary: String
    public var pricing: ProductPricing
    public var price: Money { pricing.price }
    /// Course slugs listed under the product (checked against the catalog by the builder).
    public var courses: [String]
    /// `all_courses = true`: every course, those added later too (an all-access pass).
    public var allCourses = false
    /// A subscription's billing period, shown with its price ("$9.00 / month"); nil for a one-off price.
    public var interval: BillingInterval?
    /// The product's own checkout URL; nil: `[build] buy_url` with `{course}` as the product id.
    public var buyURL: String?
    /// `lectern.toml` line of the `[products.<id>]` header, for errors found later (a clash with a course).
    public var line: Int?
    /// Line of `courses`, for an unknown slug in it.
    public var coursesLine: Int?

    static let keys = PricingSettings.keys.union(["title", "summary", "courses", "buy_url", "all_courses", "interval"])

    /// How often a subscription bills.
    public enum BillingInterval: String, Sendable, Equatable, CaseIterable {
        case week, month, year
    }

    static func all(in table: SettingsTable, defaultCurrency: String) throws -> [ProductSetting] {
        try table.entries.keys.sorted().map { id in
            guard LessonFileName.isValidSlug(id) else {
                throw table.error(
                    id, "product id `\(id)` is not a valid slug",
                    hint: "use lower-case letters, digits, Chinese characters and hyphens, e.g. `all-access`")
            }
            guard let product = try table.table(id) else { throw table.error(id, "`products.\(id)` must be a table") }
            try product.rejectUnknownKeys(allowed: keys, section: "products.\(id)")
            // Errors about a missing key point at the product's header, not the top of the file.
            if product.entries["price"] == nil && product.entries["min_price"] == nil {
                throw table.error(
                    id, "product `\(id)` has no price",
                    hint: "add `price = \"99.00\"` under [products.\(id)] (or `min_price` and `suggested_price`): "
                        + "a product without a price could be bought for any amount")
            }
            var setting = ProductSetting(
                id: id, title: try product.string("title") ?? id, summary: try product.string("summary") ?? "",
                pricing: try PricingSettings.read(product, defaultCurrency: defaultCurrency, what: "product `\(id)`"),
                courses: try product.stringList("courses"), buyURL: try product.string("buy_url"),
                line: table.line(of: id), coursesLine: product.line(of: "courses"))
            setting.allCourses = try product.bool("all_courses") ?? false
            if setting.allCourses && !setting.courses.isEmpty {
                throw product.error(
                    "all_courses", "product `\(id)` has both `all_courses` and `courses`",
                    hint: "all-access opens every course: leave `courses` out")
            }
            if let text = try product.string("interval") {
                guard let interval = BillingInterval(rawValue: text) else {
                    throw product.error(
                        "interval", "`products.\(id).interval` must be week, month or year",
                        hint: "how often the subscription bills, as set up at the payment provider")
                }
                setting.interval = interval
            }
            return setting
        }
    }
}
