import LecternConfig
import LecternCore

/// The manifest's view of the catalog: what the daemon needs of each course and product (prices, lessons,
/// which are free, drip delays), and nothing of their text.
extension BuildManifest {
    static func entry(for course: Course) -> CourseEntry {
        CourseEntry(
            slug: course.slug, title: course.title, pricing: course.pricing, buyLink: course.buyURL,
            products: course.productIDs,
            lessons: course.lessons.map {
                LessonEntry(
                    slug: $0.slug, title: $0.title, free: $0.isFree, availableAfterDays: $0.availableAfterDays,
                    module: $0.module?.title)
            })
    }

    static func entry(for product: ProductSetting) -> ProductEntry {
        ProductEntry(id: product.id, title: product.title, pricing: product.pricing)
    }
}
