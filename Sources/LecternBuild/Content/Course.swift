import Foundation
import LecternConfig
import LecternCore

/// A course: a folder under `content/` with an `_index.md` (the landing page) and its lessons.
public struct Course: Sendable {
    public var slug: String
    public var title: String
    public var summary: String
    /// The price and how providers name the course (`ProductPricing`).
    public var pricing: ProductPricing
    /// The price pages show (the suggested one when the reader pays what they want).
    public var price: Money { pricing.price }
    public var tags: [String]
    public var isDraft: Bool
    /// Where the buy button goes (a checkout link of the creator's payment provider).
    public var buyURL: String
    /// Optional product ids that a purchase may name instead of the course slug (bundles, all-access).
    public var productIDs: [String]
    /// Providers whose orders lecternd places from the landing page's pay form (`/pay/<provider>`).
    public var checkoutProviders: [PaymentEvent.Provider]
    public var date: Date
    /// Markdown of the landing page (`_index.md` body).
    public var body: String
    public var bodyFirstLine: Int
    /// The `_index.md`, relative to the site root, for messages and the manifest.
    public var sourcePath: String
    public var directory: URL
    /// Lessons in reading order.
    public var lessons: [Lesson]

    public var landingPath: String { SiteRoutes.landing(slug) }

    /// Whether a grant for `product` opens this course (`ProductRule`).
    public func isOpened(by product: String) -> Bool {
        ProductRule.opens(product, course: slug, listedProducts: productIDs)
    }
}

/// A module groups lessons of a course (a sub-folder with its own `_index.md`).
public struct Module: Sendable, Equatable {
    public var title: String
    public var order: Int
    public var sourcePath: String
}

/// One lesson file `NN-slug.md`.
public struct Lesson: Sendable {
    public var courseSlug: String
    public var slug: String
    public var title: String
    /// Free previews are published; everything else only goes to the paid bundle.
    public var isFree: Bool
    public var isDraft: Bool
    public var order: Int
    /// Drip: the gate opens the lesson this many days after the grant starts.
    public var availableAfterDays: Int?
    public var module: Module?
    public var date: Date
    public var body: String
    public var bodyFirstLine: Int
    /// Relative to the site root.
    public var sourcePath: String
    public var fileURL: URL

    /// Public URL of a free lesson, or the gate's URL of a paid one.
    public var path: String {
        SiteRoutes.lesson(slug, course: courseSlug, free: isFree)
    }
}

/// Everything read from `content/`, in catalog order.
public struct Catalog: Sendable {
    public var courses: [Course]
    /// The products of `lectern.toml` this build sells (those opening at least one course built).
    public var products: [ProductSetting] = []
    /// The same products with the courses each opens, for their pages (none without the `bundle` layout).
    public var bundles: [BundleOffer] = []
    /// Standardized paths of draft lessons left out of this build (links to them get a clear error).
    public var draftFiles: Set<String> = []

    public func course(_ slug: String) -> Course? { courses.first { $0.slug == slug } }
}
