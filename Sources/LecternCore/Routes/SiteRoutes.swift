import Foundation

/// Every URL of a Lectern site in one place: the builder writes pages at these paths, lecternd answers them,
/// e-mails and the CLI print them. Free pages live under `/courses/` (static, `public/`); paid lessons under
/// `/learn/` (the gate, per buyer). A slug may be Chinese (`LessonFileName.isValidSlug`): every URL here
/// carries it percent-encoded (`segment`), as browsers send it and as sitemaps, feeds, `Location` and
/// cookie `Path` need it; file paths on disk (`publicOutput`) keep it as written.
public enum SiteRoutes {
    /// Where free pages live: public, cacheable, written by the builder to `public/courses/…`.
    public static let publicSegment = "courses"
    /// Where the gate lives: lecternd answers every request below it for one buyer.
    public static let gateSegment = "learn"

    /// A course's landing page (public).
    public static func landing(_ course: String) -> String { "/\(publicSegment)/\(segment(course))/" }

    /// A product's landing page (a bundle, all-access: public), with the courses it opens and its buy button.
    public static func bundle(_ product: String) -> String { "/\(bundleSegment)/\(segment(product))/" }
    public static let bundleSegment = "bundles"

    /// Where a product's landing page is written in `public/` (the id as written, as course folders are).
    public static func publicOutput(bundle product: String) -> String { "\(bundleSegment)/\(product)/index.html" }

    /// A course on the gate: a signed link lands here; with access, it sends the reader to the first paid lesson.
    public static func gate(_ course: String) -> String { "/\(gateSegment)/\(segment(course))/" }

    /// A buyer's offline edition of a course (behind the gate, like its paid lessons).
    public static func edition(_ course: String, format: EditionFormat) -> String { gate(course) + format.fileName }

    /// Every edition of a course by format (`epub`, `pdf`): the links a paid page and the library show.
    public static func editions(_ course: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: EditionFormat.allCases.map { ($0.rawValue, edition(course, format: $0)) })
    }

    /// A lesson: public when free, on the gate when paid.
    public static func lesson(_ lesson: String, course: String, free: Bool) -> String {
        (free ? landing(course) : gate(course)) + segment(lesson) + "/"
    }

    /// A slug as one URL path segment: ASCII slugs unchanged, others percent-encoded (UTF-8, upper-case hex,
    /// as browsers encode them).
    public static func segment(_ slug: String) -> String {
        slug.allSatisfy(\.isASCII) ? slug : slug.addingPercentEncoding(withAllowedCharacters: unreserved) ?? slug
    }

    /// A root-relative path a creator wrote (`/courses/课程/基础/`), in the form the build's URLs have.
    /// Segments already in ASCII are left as written (`%20` stays `%20`).
    public static func encodedPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            let text = String(part)
            if text.allSatisfy(\.isASCII) { return text }
            return (text.removingPercentEncoding ?? text).addingPercentEncoding(withAllowedCharacters: unreserved)
                ?? text
        }.joined(separator: "/")
    }

    private static let unreserved = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    /// A file next to a course's lessons (an image a lesson links to): public beside free lessons,
    /// behind the gate beside paid ones. `relativePath` is already percent-encoded.
    public static func courseFile(_ relativePath: String, course: String, free: Bool) -> String {
        (free ? landing(course) : gate(course)) + relativePath
    }

    /// Whether a site-absolute path is a course page the builder must know (links are checked against it).
    public static func isCoursePage(_ path: String) -> Bool {
        path.hasPrefix("/\(publicSegment)/") || path.hasPrefix("/\(gateSegment)/")
    }

    /// The signed link e-mailed to a buyer: the gate of the product bought, with the token.
    public static func signedLink(baseURL: String, product: String, token: String) -> String {
        baseURL + gate(product) + "?token=" + token
    }

    /// Output paths inside `public/` for a course's landing page and free lessons.
    public static func publicOutput(course: String, lesson: String? = nil) -> String {
        "\(publicSegment)/\(course)/" + (lesson.map { "\($0)/" } ?? "") + "index.html"
    }

    /// The buyer's library: the page (built into `public/`), what it shows (lecternd, per buyer), reading
    /// progress sent by the lesson pages, and signing out (this browser, or every other). The endpoints sit
    /// under `/access/` with lecternd's others: a route below `/library/` would hide the static page from the
    /// catch-all route.
    public static let library = "/library/"
    public static let libraryData = "/access/library.json"
    public static let libraryProgress = "/access/progress"
    public static let librarySignOut = "/access/sign-out"
    public static let librarySignOutOthers = "/access/sign-out-others"

    /// lecternd's own endpoints.
    public static let resend = "/access/resend"
    public static let claim = "/access/claim"
    public static let health = "/healthz"
    public static let metrics = "/metrics"
    public static let jwks = "/.well-known/jwks.json"
    public static func webhook(_ provider: String) -> String { "/webhooks/\(provider)" }
    /// Where a course page's Alipay / WeChat Pay form posts: lecternd places the order and sends the
    /// browser on to the provider.
    public static func pay(_ provider: String) -> String { "/pay/\(provider)" }
    /// Whether lecternd's own order (`?out_trade_no=`) is paid yet: the WeChat Pay QR page polls it.
    public static let payStatus = "/pay/status"
}

/// The product rule: a payment for `product` opens a course when it names the course itself or one of the
/// products (bundles, all-access) the course lists. The gate, the token command and the builder ask this.
public enum ProductRule {
    public static func opens(_ product: String, course: String, listedProducts: [String]) -> Bool {
        product == course || listedProducts.contains(product)
    }
}

extension BuildManifest.CourseEntry {
    /// Whether a grant for `product` opens this course (`ProductRule`).
    public func isOpened(by product: String) -> Bool {
        ProductRule.opens(product, course: slug, listedProducts: products)
    }
}
