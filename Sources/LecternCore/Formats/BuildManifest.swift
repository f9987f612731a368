import Crypto
import Foundation

/// `manifest.json` in the paid bundle: every page the build wrote, its source and a SHA-256 of its
/// bytes, plus the catalog (prices, products, lesson order) that the daemon checks payments against.
/// It lives in the private bundle because it names the paid pages' files.
public struct BuildManifest: Codable, Sendable {
    public struct Page: Codable, Sendable {
        /// Which output a page went to: `public/` (anyone) or the paid bundle (the daemon, per buyer).
        public enum Kind: String, Codable, Sendable {
            case `public`, paid
            /// A free lesson's body as a chapter of a buyer's offline edition, in the paid bundle.
            case chapter
        }

        public var url: String
        public var kind: Kind
        public var source: String
        /// Path of the written file inside its output folder.
        public var output: String
        public var sha256: String

        public init(url: String, kind: Kind, source: String, output: String, sha256: String) {
            self.url = url
            self.kind = kind
            self.source = source
            self.output = output
            self.sha256 = sha256
        }
    }

    public struct CourseEntry: Codable, Sendable {
        public var slug: String
        public var title: String
        public var priceMinorUnits: Int
        public var currency: String
        public var buyLink: String
        public var products: [String]
        public var lessons: [LessonEntry]
        /// The rest of the pricing (`ProductPricing`); absent in bundles built before regional prices.
        public var regionalPrices: [Money]?
        public var minPriceMinorUnits: Int?
        public var providerIDs: [String]?

        public init(
            slug: String, title: String, pricing: ProductPricing, buyLink: String, products: [String],
            lessons: [LessonEntry]
        ) {
            self.slug = slug
            self.title = title
            self.priceMinorUnits = pricing.price.minorUnits
            self.currency = pricing.price.currency
            self.regionalPrices = pricing.regional
            self.minPriceMinorUnits = pricing.minimum?.minorUnits
            self.providerIDs = pricing.providerIDs
            self.buyLink = buyLink
            self.products = products
            self.lessons = lessons
        }

        public var pricing: ProductPricing {
            ProductPricing(
                fixedAt: priceMinorUnits, currency: currency, regional: regionalPrices, minimum: minPriceMinorUnits,
                providerIDs: providerIDs)
        }
    }

    /// A product other than a course (a bundle, all-access), with the price a payment must match.
    public struct ProductEntry: Codable, Sendable {
        public var id: String
        public var title: String
        public var priceMinorUnits: Int
        public var currency: String
        public var regionalPrices: [Money]?
        public var minPriceMinorUnits: Int?
        public var providerIDs: [String]?

        public init(id: String, title: String, pricing: ProductPricing) {
            self.id = id
            self.title = title
            self.priceMinorUnits = pricing.price.minorUnits
            self.currency = pricing.price.currency
            self.regionalPrices = pricing.regional
            self.minPriceMinorUnits = pricing.minimum?.minorUnits
            self.providerIDs = pricing.providerIDs
        }

        public var pricing: ProductPricing {
            ProductPricing(
                fixedAt: priceMinorUnits, currency: currency, regional: regionalPrices, minimum: minPriceMinorUnits,
                providerIDs: providerIDs)
        }
    }

    public struct LessonEntry: Codable, Sendable {
        public var slug: String
        public var title: String
        public var free: Bool
        public var availableAfterDays: Int?
        /// The module's title, above the lesson's in an offline edition; nil outside modules (and in older bundles).
        public var module: String?

        public init(slug: String, title: String, free: Bool, availableAfterDays: Int?, module: String? = nil) {
            self.slug = slug
            self.title = title
            self.free = free
            self.availableAfterDays = availableAfterDays
            self.module = module
        }
    }

    public static let fileName = "manifest.json"

    public var generator = "lectern"
    public var builtAt: Date
    public var pages: [Page]
    public var courses: [CourseEntry]
    public var products: [ProductEntry]
    /// The stamp and dates in the site's language; absent in bundles built before string tables.
    public var wording: ReaderWording?
    /// The site's language (BCP 47), for what lecternd formats itself (a price); "en" in older bundles.
    public var language = "en"

    public init(
        builtAt: Date, pages: [Page], courses: [CourseEntry], products: [ProductEntry], wording: ReaderWording? = nil,
        language: String = "en"
    ) {
        self.builtAt = builtAt
        self.pages = pages
        self.courses = courses
        self.products = products
        self.wording = wording
        self.language = language
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        generator = try container.decode(String.self, forKey: .generator)
        builtAt = try container.decode(Date.self, forKey: .builtAt)
        pages = try container.decode([Page].self, forKey: .pages)
        courses = try container.decode([CourseEntry].self, forKey: .courses)
        // A bundle built before products had prices: no product can be sold until the next build.
        products = try container.decodeIfPresent([ProductEntry].self, forKey: .products) ?? []
        wording = try container.decodeIfPresent(ReaderWording.self, forKey: .wording)
        language = try container.decodeIfPresent(String.self, forKey: .language) ?? "en"
    }

    /// What a reader calls `product` (a course slug or a product id): its title, nil when unknown.
    public func title(of product: String) -> String? {
        courses.first { $0.slug == product }?.title ?? products.first { $0.id == product }?.title
    }

    /// What a payment for `product` (a course slug or a product id) is checked against; nil when the
    /// catalog does not sell it.
    public func pricing(of product: String) -> ProductPricing? {
        courses.first { $0.slug == product }?.pricing ?? products.first { $0.id == product }?.pricing
    }

    /// The product a payment is for, with its pricing: the one the provider's own id is mapped to (a Stripe
    /// Payment Link, a Lemon Squeezy variant) wins over the one the payment names, which a buyer may have set.
    /// Nil when the catalog sells neither. `mapped`: the provider's own id decided (the creator's setup).
    public func sale(for payment: PaymentEvent.Payment) -> Sale? {
        for id in payment.providerProducts {
            if let course = courses.first(where: { $0.providerIDs?.contains(id) == true }) {
                return Sale(product: course.slug, pricing: course.pricing, mapped: true)
            }
            if let product = products.first(where: { $0.providerIDs?.contains(id) == true }) {
                return Sale(product: product.id, pricing: product.pricing, mapped: true)
            }
        }
        return pricing(of: payment.product).map { Sale(product: payment.product, pricing: $0, mapped: false) }
    }

    /// What a payment buys (`sale(for:)`).
    public struct Sale: Sendable, Equatable {
        public var product: String
        public var pricing: ProductPricing
        /// Named by a Payment Link, Price or variant the catalog maps, not by a field a buyer may have set.
        public var mapped: Bool

        public init(product: String, pricing: ProductPricing, mapped: Bool) {
            (self.product, self.pricing, self.mapped) = (product, pricing, mapped)
        }
    }

    package static func hash(_ data: Data) -> String {
        Hex.string(SHA256.hash(data: data))
    }

    package func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    public static func load(from url: URL) throws -> BuildManifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(BuildManifest.self, from: Data(contentsOf: url))
    }
}
