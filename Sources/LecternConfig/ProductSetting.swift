import LecternCore

/// `[products.<id>]` in `lectern.toml`: a product id that a payment may name instead of a course slug
/// (a bundle, an all-access pass), with the price it must be paid at. Courses opt in by listing the
/// id in their front matter (`products: [all-access]`).
///
/// Every product id that can be sold has a price, so the webhook checks a bundle's payment exactly as
/// it checks a course's: an id without one would be granted at any amount.
public struct ProductSetting: Sendable, Equatable {
    public var id: String
    public var title: String
    public var price: Money
    /// `lectern.toml` line of the `[products.<id>]` header, for errors found later (a clash with a course).
    public var line: Int?

    static func all(in table: SettingsTable, defaultCurrency: String) throws -> [ProductSetting] {
        try table.entries.keys.sorted().map { id in
            guard LessonFileName.isValidSlug(id) else {
                throw table.error(
                    id, "product id `\(id)` is not a valid slug",
                    hint: "use lower-case letters, digits, Chinese characters and hyphens, e.g. `all-access`")
            }
            guard let product = try table.table(id) else { throw table.error(id, "`products.\(id)` must be a table") }
            try product.rejectUnknownKeys(allowed: ["title", "price", "currency"], section: "products.\(id)")
            guard let priceText = try product.string("price") else {
                throw table.error(
                    id, "product `\(id)` has no price",
                    hint:
                        "add `price = \"99.00\"` under [products.\(id)]: "
                        + "a product without a price could be bought for any amount"
                )
            }
            let currency = try product.string("currency") ?? defaultCurrency
            guard let price = Money(decimal: priceText, currency: currency) else {
                throw product.error(
                    product.line(of: "price") != nil ? "price" : "currency",
                    "`products.\(id).price` \"\(priceText)\" in \(currency) is not a valid amount",
                    hint: "write a decimal string such as \"99.00\" and a three-letter currency code")
            }
            return ProductSetting(
                id: id, title: try product.string("title") ?? id, price: price, line: table.line(of: id))
        }
    }
}
