import Foundation
import LecternCore
import LecternStore

/// What the gate says when it does not serve a lesson: a problem document for API clients and an
/// HTML page for browsers, with the same status and meaning.
public struct GateNotice: Sendable, Equatable {
    public var problem: HTTPProblem
    public var html: String
}

/// The gate's own pages (expired link, access withdrawn, not yet available, …): the site's
/// `layouts/gate.mustache`, rendered by the build into the paid bundle (`GateShell`), with this request's
/// values filled in. The matching problem document goes to API clients.
public struct GatePages: Sendable {
    let bundle: LiveBundle

    public init(bundle: LiveBundle) { self.bundle = bundle }

    /// `course` is nil when the link names no public course (a product id): the page then says nothing
    /// that would tell a stranger whether that id exists.
    public func expired(course: BuildManifest.CourseEntry?) -> GateNotice {
        notice(
            status: 401, .linkExpired, course == nil ? .linkExpiredNoCourse : .linkExpired, course: course,
            detail: "access links and sign-ins last a limited time; ask for a fresh link by e-mail",
            extensions: resendExtensions(course))
    }

    public func invalidLink(course: BuildManifest.CourseEntry?) -> GateNotice {
        notice(
            status: 401, .invalidLink, course == nil ? .invalidLinkNoCourse : .invalidLink, course: course,
            detail: "the access token is damaged, was not issued by this site, or its key was retired",
            extensions: resendExtensions(course))
    }

    /// A link signed for a time still ahead: the clock that signed it ran fast. Not "damaged": it will work
    /// at `until`, and a fresh one works now.
    public func notYetValid(course: BuildManifest.CourseEntry?, until date: Date) -> GateNotice {
        notice(
            status: 401, .linkNotYetValid, course == nil ? .linkNotYetValidNoCourse : .linkNotYetValid, course: course,
            detail: "the link becomes valid at \(Self.iso(date)); the clock that signed it runs ahead of this server's",
            extensions: resendExtensions(course), values: [.date: day(date), .dateISO: Self.iso(date)])
    }

    /// A browser whose sign-in ended elsewhere: "sign out other devices", or a sign-in over the device
    /// limit. The buyer's access is intact; a fresh link signs this browser in again.
    public func signedOutElsewhere(course: BuildManifest.CourseEntry) -> GateNotice {
        notice(
            status: 401, .signedOutElsewhere, .signedOutElsewhere, course: course,
            detail: "this browser's sign-in was ended from another device; ask for a fresh link by e-mail",
            extensions: resendExtensions(course))
    }

    private func resendExtensions(_ course: BuildManifest.CourseEntry?) -> [String: String] {
        var extensions = ["resend_url": SiteRoutes.resend]
        extensions["course"] = course?.slug
        return extensions
    }

    public func otherCourse(course: BuildManifest.CourseEntry) -> GateNotice {
        notice(
            status: 403, .otherCourse, .otherCourse, course: course,
            detail: "the token's audience does not cover `\(course.slug)`", extensions: ["buy_url": course.buyLink])
    }

    public func withdrawn(course: BuildManifest.CourseEntry, reason: String?) -> GateNotice {
        let (variant, why): (GateShell.Variant, String) =
            switch reason {
            case "refunded": (.withdrawnRefunded, "the payment was refunded")
            case "disputed": (.withdrawnDisputed, "the payment was disputed")
            default: (.withdrawnRevoked, "it was revoked")
            }
        return notice(
            status: 403, .accessWithdrawn, variant, course: course,
            detail: "access to `\(course.slug)` was withdrawn: \(why)")
    }

    public func ended(course: BuildManifest.CourseEntry, at date: Date) -> GateNotice {
        notice(
            status: 403, .accessEnded, .accessEnded, course: course,
            detail: "access to `\(course.slug)` ended on \(day(date))",
            extensions: ["buy_url": course.buyLink], values: [.date: day(date), .dateISO: Self.iso(date)])
    }

    public func notYetAvailable(
        course: BuildManifest.CourseEntry, lesson: BuildManifest.LessonEntry, on date: Date
    ) -> GateNotice {
        notice(
            status: 403, .notYetAvailable, .notYetAvailable, course: course,
            detail: "`\(lesson.slug)` opens on \(day(date))", extensions: ["available_at": Self.iso(date)],
            values: [.lessonTitle: lesson.title, .date: day(date), .dateISO: Self.iso(date)])
    }

    /// Used when the site has no `404.html` of its own.
    public func notFound(path: String) -> GateNotice {
        notice(status: 404, .notFound, .notFound, course: nil, detail: "no page at \(path)", values: [.path: path])
    }

    public func resendAccepted() -> GateNotice {
        notice(
            status: 202, .resendAccepted, .resendAccepted, course: nil,
            detail: "if this address has access, a fresh link is on its way")
    }

    public func tooManyRequests(retryAfter seconds: Int) -> GateNotice {
        notice(
            status: 429, .rateLimited, .rateLimited, course: nil, detail: "try again in \(seconds) seconds",
            extensions: ["retry_after": String(seconds)], values: [.minutes: String(max(1, seconds / 60))])
    }

    /// After checkout, while the payment is confirmed (`/access/claim`).
    public func checkEmail() -> GateNotice {
        notice(
            status: 202, .resendAccepted, .checkEmail, course: nil,
            detail: "your link is on its way to the address used at checkout")
    }

    /// lecternd's WeChat Pay order for `course`, placed: the QR code to scan with WeChat, and the page
    /// waits for the payment (`/pay/status`), then signs the browser in (`/access/claim`).
    public func payWeChat(
        course: BuildManifest.CourseEntry, price: Money, qrImage: String, order: String
    )
        -> GateNotice
    {
        notice(
            status: 200, .paymentPending, .payWeChat, course: course, detail: "scan the QR code with WeChat to pay",
            values: [.qrImage: qrImage, .order: order, .price: price.display(language: bundle.manifest.language)])
    }

    private func notice(
        status: Int, _ kind: HTTPProblem.Kind, _ variant: GateShell.Variant, course: BuildManifest.CourseEntry?,
        detail: String, extensions: [String: String] = [:], values: [GateShell.Slot: String] = [:]
    ) -> GateNotice {
        let problem = HTTPProblem(
            status: status, kind: kind, title: variant.title, detail: detail, extensions: extensions)
        var values = values
        if let course {
            values[.courseTitle] = course.title
            values[.courseSlug] = course.slug
            values[.buyURL] = course.buyLink
        }
        // A bundle always has its shells (the build writes them, `LiveBundle` checks at start); should one
        // vanish, the reader still gets the heading and the reason.
        let html =
            bundle.gateShell(variant).map { GateShell.fill($0, values) }
            ?? "<!doctype html><meta charset=\"utf-8\"><title>\(escape(variant.title))</title>"
            + "<h1>\(escape(variant.title))</h1><p>\(escape(detail))</p>"
        return GateNotice(problem: problem, html: html)
    }

    private func escape(_ text: String) -> String { MarkupEscaping.escape(text) }

    /// A day in the site's language ("5 December 2026", "2026年12月5日"), from the build's wording.
    func day(_ date: Date) -> String { (bundle.manifest.wording ?? .english).date(date) }

    /// "2026-12-05T10:00:00Z": a date as lecternd's pages and JSON give it.
    public static func iso(_ date: Date) -> String { String(Store.timestamp(date).prefix(19)) + "Z" }
}
