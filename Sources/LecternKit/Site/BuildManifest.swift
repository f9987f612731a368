import Crypto
import Foundation

/// `manifest.json` in the paid bundle: every page the build wrote, its source and a SHA-256 of its
/// bytes, plus the catalog (prices, products, lesson order) that the daemon checks payments against.
/// It lives in the private bundle because it names the paid pages' files.
public struct BuildManifest: Codable, Sendable {
    public struct Page: Codable, Sendable {
        public var url: String
        /// "public" or "paid".
        public var kind: String
        public var source: String
        /// Path of the written file inside its output folder.
        public var output: String
        public var sha256: String
    }

    public struct CourseEntry: Codable, Sendable {
        public var slug: String
        public var title: String
        public var priceMinorUnits: Int
        public var currency: String
        public var buyLink: String
        public var products: [String]
        public var lessons: [LessonEntry]
    }

    public struct LessonEntry: Codable, Sendable {
        public var slug: String
        public var title: String
        public var free: Bool
        public var availableAfterDays: Int?
    }

    public static let fileName = "manifest.json"

    public var generator = "lectern"
    public var builtAt: Date
    public var pages: [Page]
    public var courses: [CourseEntry]

    static func hash(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    static func entry(for course: Course) -> CourseEntry {
        CourseEntry(slug: course.slug, title: course.title, priceMinorUnits: course.price.minorUnits,
                    currency: course.price.currency, buyLink: course.buyURL, products: course.productIDs,
                    lessons: course.lessons.map {
                        LessonEntry(slug: $0.slug, title: $0.title, free: $0.isFree, availableAfterDays: $0.availableAfterDays)
                    })
    }

    func encoded() throws -> Data {
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
