import Foundation
import LecternCore
import LecternStore

/// What the gate says when it does not serve a lesson: a problem document for API clients and an
/// HTML page for browsers, with the same status and meaning.
public struct GateNotice: Sendable, Equatable {
    public var problem: HTTPProblem
    public var html: String
}

/// The gate's own pages (expired link, access withdrawn, not yet available, …). Plain HTML that uses
/// the site's `/style.css`, so they follow the theme without a template the creator must maintain.
public struct GatePages: Sendable {
    public let siteTitle: String

    public init(siteTitle: String) { self.siteTitle = siteTitle }

    /// `course` is nil when the link names no public course (a product id): the page then says nothing
    /// that would tell a stranger whether that id exists.
    public func expired(course: BuildManifest.CourseEntry?) -> GateNotice {
        let what = course.map { "Links to <strong>\(escape($0.title))</strong>" } ?? "Access links"
        let problem = HTTPProblem(
            status: 401, kind: .linkExpired, title: "Your link has expired",
            detail: "access links and sign-ins last a limited time; ask for a fresh link by e-mail",
            extensions: resendExtensions(course))
        return notice(
            problem,
            body: "<p>\(what) work for a limited time, and this one has run out. "
                + "Enter the e-mail address you bought with and we will send you a fresh one.</p>"
                + resendForm(course: course?.slug))
    }

    public func invalidLink(course: BuildManifest.CourseEntry?) -> GateNotice {
        let what = course.map { "This link to <strong>\(escape($0.title))</strong>" } ?? "This link"
        let problem = HTTPProblem(
            status: 401, kind: .invalidLink, title: "This link does not work",
            detail: "the access token is damaged, was not issued by this site, or its key was retired",
            extensions: resendExtensions(course))
        return notice(
            problem,
            body: "<p>\(what) is incomplete or no longer valid. Links sometimes break when an e-mail program "
                + "wraps them. Ask for a fresh one:</p>" + resendForm(course: course?.slug))
    }

    private func resendExtensions(_ course: BuildManifest.CourseEntry?) -> [String: String] {
        var extensions = ["resend_url": SiteRoutes.resend]
        extensions["course"] = course?.slug
        return extensions
    }

    public func otherCourse(course: BuildManifest.CourseEntry) -> GateNotice {
        notice(
            HTTPProblem(
                status: 403, kind: .otherCourse, title: "This link is for another course",
                detail: "the token's audience does not cover `\(course.slug)`", extensions: ["buy_url": course.buyLink]),
            body: "<p>This link opens a different course, not <strong>\(escape(course.title))</strong>.</p>"
                + "<p><a class=\"buy\" href=\"\(escape(course.buyLink))\">Buy \(escape(course.title))</a></p>")
    }

    public func withdrawn(course: BuildManifest.CourseEntry, reason: String?) -> GateNotice {
        let why =
            switch reason {
            case "refunded": "the payment was refunded"
            case "disputed": "the payment was disputed"
            default: "it was revoked"
            }
        return notice(
            HTTPProblem(
                status: 403, kind: .accessWithdrawn, title: "Access withdrawn",
                detail: "access to `\(course.slug)` was withdrawn: \(why)"),
            body: "<p>Access to <strong>\(escape(course.title))</strong> was withdrawn because \(why). "
                + "If you think this is a mistake, reply to your receipt e-mail.</p>")
    }

    public func ended(course: BuildManifest.CourseEntry, at date: Date) -> GateNotice {
        notice(
            HTTPProblem(
                status: 403, kind: .accessEnded, title: "Your access has ended",
                detail: "the subscription for `\(course.slug)` ended on \(Self.day(date))",
                extensions: ["buy_url": course.buyLink]),
            body: "<p>Your subscription to <strong>\(escape(course.title))</strong> ended on \(Self.day(date)).</p>"
                + "<p><a class=\"buy\" href=\"\(escape(course.buyLink))\">Renew</a></p>")
    }

    public func notYetAvailable(
        course: BuildManifest.CourseEntry, lesson: BuildManifest.LessonEntry, on date: Date
    ) -> GateNotice {
        notice(
            HTTPProblem(
                status: 403, kind: .notYetAvailable, title: "Not available yet",
                detail: "`\(lesson.slug)` opens on \(Self.day(date))", extensions: ["available_at": Self.iso(date)]),
            body:
                "<p><strong>\(escape(lesson.title))</strong> is part of <a href=\"/learn/\(escape(course.slug))/\">\(escape(course.title))</a> "
                + "and will be available on <time datetime=\"\(Self.iso(date))\">\(Self.day(date))</time>.</p>")
    }

    /// Used when the site has no `404.html` of its own.
    public func notFound(path: String) -> GateNotice {
        notice(
            HTTPProblem(status: 404, kind: .notFound, title: "Page not found", detail: "no page at \(path)"),
            body: "<p>There is no page at this address. <a href=\"/\">See all courses</a>.</p>")
    }

    public func resendAccepted() -> GateNotice {
        notice(
            HTTPProblem(
                status: 202, kind: .resendAccepted, title: "Check your e-mail",
                detail: "if this address has access, a fresh link is on its way"),
            body:
                "<p>If this address has access to a course here, a fresh link is on its way. It usually arrives within a minute; "
                + "check your spam folder too.</p>")
    }

    public func tooManyRequests(retryAfter seconds: Int) -> GateNotice {
        notice(
            HTTPProblem(
                status: 429, kind: .rateLimited, title: "Too many requests",
                detail: "try again in \(seconds) seconds", extensions: ["retry_after": String(seconds)]),
            body: "<p>We sent several links recently. Please wait \(max(1, seconds / 60)) minutes and try again.</p>")
    }

    private func notice(_ problem: HTTPProblem, body: String) -> GateNotice {
        GateNotice(problem: problem, html: page(title: problem.title, body: body))
    }

    func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>\(escape(title)) · \(escape(siteTitle))</title>
        <link rel="stylesheet" href="/style.css"></head>
        <body><header class="site-header"><a class="brand" href="/">\(escape(siteTitle))</a></header>
        <main id="main" class="notice"><h1>\(escape(title))</h1>
        \(body)
        </main></body></html>
        """
    }

    private func resendForm(course: String?) -> String {
        """
        <form method="post" action="/access/resend" class="resend">
        \(course.map { "<input type=\"hidden\" name=\"course\" value=\"\(escape($0))\">" } ?? "")
        <label for="email">E-mail address</label>
        <input id="email" name="email" type="email" required autocomplete="email">
        <button type="submit">Send me a fresh link</button>
        </form>
        """
    }

    private func escape(_ text: String) -> String { MarkupEscaping.escape(text) }

    private static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ]

    /// "5 December 2026" (UTC).
    static func day(_ date: Date) -> String {
        var seconds = time_t(date.secondsInCalendarRange.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(parts.tm_mday) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900)"
    }

    static func iso(_ date: Date) -> String { String(Store.timestamp(date).prefix(19)) + "Z" }
}
