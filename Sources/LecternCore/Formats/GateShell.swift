import Foundation

/// A page of the gate (expired link, access withdrawn, …) as the builder leaves it for the daemon: the site's
/// `layouts/gate.mustache`, rendered once per variant at build time like every other page, with slot marks
/// where per-request values go (a course's title, a date). lecternd fills the slots, escaped, and knows
/// nothing of templates; the creator restyles or rewords these pages like any other.
///
/// Stored as `<paid>/_gate/<variant>.html`.
public enum GateShell {
    public static let folder = "_gate"

    /// One page per notice, and per wording that depends on the request (with or without a course,
    /// why access was withdrawn) so that the template, not Swift, holds every sentence.
    public enum Variant: String, CaseIterable, Sendable {
        case linkExpired = "link-expired"
        case linkExpiredNoCourse = "link-expired-no-course"
        case invalidLink = "invalid-link"
        case invalidLinkNoCourse = "invalid-link-no-course"
        /// Signed by a clock running ahead of this server's (a daemon whose clock was fast when it mailed it).
        case linkNotYetValid = "link-not-yet-valid"
        case linkNotYetValidNoCourse = "link-not-yet-valid-no-course"
        case otherCourse = "other-course"
        case withdrawnRefunded = "withdrawn-refunded"
        case withdrawnDisputed = "withdrawn-disputed"
        case withdrawnRevoked = "withdrawn-revoked"
        case accessEnded = "access-ended"
        case notYetAvailable = "not-yet-available"
        case notFound = "not-found"
        case resendAccepted = "resend-accepted"
        case rateLimited = "rate-limited"
        case checkEmail = "check-email"
        /// lecternd's WeChat Pay order, placed: the QR code to scan, the price, and a wait for the payment.
        case payWeChat = "pay-wechat"
        /// This browser's sign-in was ended: the buyer signed out the other devices, or signed in on one
        /// more than `[daemon] max_devices` allows.
        case signedOutElsewhere = "signed-out-elsewhere"

        /// The notice's name in the template context (`notice.<key>` is true for this page).
        public var notice: String {
            switch self {
            case .linkExpired, .linkExpiredNoCourse: "link_expired"
            case .linkNotYetValid, .linkNotYetValidNoCourse: "link_not_yet_valid"
            case .invalidLink, .invalidLinkNoCourse: "invalid_link"
            case .withdrawnRefunded, .withdrawnDisputed, .withdrawnRevoked: "access_withdrawn"
            default: rawValue.replacingOccurrences(of: "-", with: "_")
            }
        }

        /// Whether the page is about one course (its title, slug and buy link fill slots).
        public var hasCourse: Bool {
            switch self {
            case .linkExpiredNoCourse, .invalidLinkNoCourse, .linkNotYetValidNoCourse, .notFound, .resendAccepted,
                .rateLimited, .checkEmail:
                false
            default: true
            }
        }

        /// `refunded`, `disputed` or `revoked` for the withdrawn pages (`reason.<name>` is true).
        public var reason: String? {
            switch self {
            case .withdrawnRefunded: "refunded"
            case .withdrawnDisputed: "disputed"
            case .withdrawnRevoked: "revoked"
            default: nil
            }
        }

        public var fileName: String { "\(GateShell.folder)/\(rawValue).html" }

        /// The page's heading, also the `title` of the problem document API clients get for it.
        public var title: String {
            switch self {
            case .linkExpired, .linkExpiredNoCourse: "Your link has expired"
            case .invalidLink, .invalidLinkNoCourse: "This link does not work"
            case .linkNotYetValid, .linkNotYetValidNoCourse: "This link is not valid yet"
            case .otherCourse: "This link is for another course"
            case .withdrawnRefunded, .withdrawnDisputed, .withdrawnRevoked: "Access withdrawn"
            case .accessEnded: "Your access has ended"
            case .notYetAvailable: "Not available yet"
            case .notFound: "Page not found"
            case .resendAccepted: "Check your e-mail"
            case .rateLimited: "Too many requests"
            case .checkEmail: "Thank you — check your e-mail"
            case .payWeChat: "Pay with WeChat"
            case .signedOutElsewhere: "Signed out on this device"
            }
        }
    }

    /// The per-request values a page (or `ReaderWording`) may show.
    public enum Slot: String, CaseIterable, Sendable {
        case courseTitle = "course-title"
        case courseSlug = "course-slug"
        case buyURL = "buy-url"
        case lessonTitle = "lesson-title"
        case date
        case dateISO = "date-iso"
        case minutes
        /// The path asked for (the 404 page).
        case path
        /// The parts of the stamp and of a date (`ReaderWording`).
        case email, order, year, month, day
        case monthName = "month-name"
        /// The parts of an e-mail with a signed link (`ReaderWording`): the link, its lifetime in days, the
        /// buyer's courses (one per line, with its address) and the library's address.
        case link, days, courses
        case libraryURL = "library-url"
        /// A gift's two parties, in the gift e-mail and the giver's receipt.
        case giver, recipient
        case siteTitle = "site-title"
        /// The WeChat Pay page: the QR code (an SVG `data:` URL, base64: nothing in it needs escaping) and
        /// the price.
        case qrImage = "qr-image"
        case price

        /// Private-use characters around the name: Mustache's escaping leaves them alone, and no
        /// creator text or template contains them.
        public var mark: String { "\u{E000}\(rawValue)\u{E001}" }
    }

    /// The page with each slot replaced by its value, HTML-escaped (safe in text and in quoted attributes);
    /// a slot without a value becomes empty.
    public static func fill(_ shell: String, _ values: [Slot: String]) -> String {
        substitute(shell, values, escape: MarkupEscaping.escape)
    }

    /// The text with each slot replaced by `escape` of its value (plain text: no escaping), a slot
    /// without a value by nothing. Shared by the pages and `ReaderWording`'s dates and e-mails.
    ///
    /// One pass over the UTF-8 bytes: this runs inside the webhook's transaction (every link e-mail) and on
    /// gate pages, where a Foundation search per slot (`contains`, `replacingOccurrences`: Unicode-aware, so
    /// slow) was a third of a webhook's CPU. A mark names a slot by its raw value; an unknown name is kept.
    public static func substitute(
        _ text: String, _ values: [Slot: String], escape: (String) -> String = { $0 }
    ) -> String {
        let bytes = Array(text.utf8)
        // U+E000 and U+E001 in UTF-8: EE 80 80 and EE 80 81.
        func mark(at index: Int, last: UInt8) -> Bool {
            index + 2 < bytes.count && bytes[index] == 0xEE && bytes[index + 1] == 0x80 && bytes[index + 2] == last
        }
        guard let first = bytes.indices.first(where: { mark(at: $0, last: 0x80) }) else { return text }
        var result = Array(bytes[..<first])
        result.reserveCapacity(bytes.count)
        var index = first
        while index < bytes.count {
            if mark(at: index, last: 0x80),
                // Slot names are short: look no further (a stray U+E000 costs a few bytes, not a scan).
                let end = (index + 3..<min(bytes.count, index + 40)).first(where: { mark(at: $0, last: 0x81) }),
                let slot = Slot(rawValue: String(decoding: bytes[(index + 3)..<end], as: UTF8.self))
            {
                result += escape(values[slot] ?? "").utf8
                index = end + 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
