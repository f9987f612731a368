import Foundation
import LecternCore
import LecternStore

/// Decides what a request under `/learn/` gets: the decisions of the paid side of the site, free of
/// HTTP types so they can be tested directly. `LecternServer` turns an `Outcome` into a response.
///
/// A signed link (`?token=`) is checked once (Ed25519, kid, expiry, audience, live grant) and
/// exchanged for a per-course cookie; every later request checks the cookie (one HMAC) and the grant
/// (one SQLite read), so a refund or revocation shuts the door on the next request.
public struct Gate: Sendable {
    public struct IssuedCookie: Sendable, Equatable {
        public var name: String
        /// `SiteRoutes.gate(course)` for a course's access; `/` for the library's.
        public var path: String
        public var value: String
        /// How long the browser keeps it: the access plus a grace period, so that after expiry the
        /// reader sees "your link expired, get a fresh one" instead of the sales page.
        public var maxAge: Int
        /// False only for the library's marker, which the page's script reads.
        public var httpOnly = true
    }

    public enum Outcome: Sendable {
        /// Valid signed link: set the cookies and send the reader to `location` (no token in it).
        case signIn(cookies: [IssuedCookie], location: String)
        /// A buyer's copy of a paid lesson; `refresh` renews a cookie that is past half its life.
        case lesson(html: [UInt8], refresh: IssuedCookie?)
        /// A file of the paid bundle that the course's paid lessons link to (`<course>/files/…`), if it exists.
        case asset(RequestPath, refresh: IssuedCookie?)
        /// The buyer's offline edition of the course (`EditionShelf` makes it).
        case edition(EditionRequest, refresh: IssuedCookie?)
        case redirect(location: String)
        /// No token and no cookie: the course's landing page sells it.
        case noAccess(course: BuildManifest.CourseEntry)
        case notice(GateNotice)
        case notFound
    }

    /// Days a cookie outlives its access, so the daemon can still recognise the reader as expired.
    public static let gracePeriod = 90 * 86_400

    public let bundle: LiveBundle
    public let store: Store
    public let verifier: TokenVerifier
    public let cookies: AccessCookie
    public let libraryCookie: LibraryCookie
    /// Each sign-in's session: ended ones open nothing; requests feed the sharing signals.
    public let devices: DeviceSessions
    public let watermarker: Watermarker
    public let pages: GatePages
    /// Seconds an access lasts from sign-in (the token lifetime, `[tokens] ttl`).
    public let accessLifetime: Int
    private let grants: GrantCache
    private let ownedGrants: Library
    /// Invisible-mark chunks per grant: 4 HMACs each, worth computing once per grant, not per page.
    private let chunkCache = Locked<[Int64: [String]]>([:])

    public init(
        bundle: LiveBundle, store: Store, verifier: TokenVerifier, cookies: AccessCookie, libraryCookie: LibraryCookie,
        watermarker: Watermarker, pages: GatePages, accessLifetime: Int, devices: DeviceSessions? = nil
    ) {
        self.devices = devices ?? DeviceSessions(store: store)
        self.bundle = bundle
        self.store = store
        self.verifier = verifier
        self.cookies = cookies
        self.libraryCookie = libraryCookie
        ownedGrants = Library(store: store)
        self.watermarker = watermarker
        self.pages = pages
        self.accessLifetime = accessLifetime
        grants = GrantCache(store: store)
    }

    /// - Parameters:
    ///   - slug: the segment after `/learn/` (a course slug, or on sign-in a product id).
    ///   - rest: the segments after it; `isFolder` when the path ended in `/`.
    ///   - library: the `lectern_library` cookie, which opens every course the buyer owns.
    ///   - client: where the request comes from, for the session's sharing signals.
    public func handle(
        slug: String, rest: [String], isFolder: Bool, token: String?, cookie: String?, library: String? = nil,
        client: ClientInfo = .unknown, now: Date = Date()
    ) throws -> Outcome {
        let manifest = bundle.manifest
        let catalog = manifest.courses
        if let token {
            return try signIn(
                slug: slug, rest: rest, isFolder: isFolder, token: token, catalog: catalog, client: client, now: now)
        }
        guard let course = catalog.first(where: { $0.slug == slug }) else { return .notFound }

        let value: AccessCookie.Value
        switch cookies.check(cookie, course: course.slug, now: now) {
        case .valid(let valid): value = valid
        case let check:
            // Signed in on this device with another course's link (or this course's access ran out while the
            // library's did not): the buyer's own live grant for this course opens it, and a fresh course
            // cookie is set (an expiry of 0 makes `refresh` below issue one).
            let signedIn = libraryCookie.value(library, now: now)
            if let signedIn,
                let grant = try ownedGrants.liveGrants(buyer: signedIn.buyer, now: now).first(where: {
                    course.isOpened(by: $0.product)
                })
            {
                value = AccessCookie.Value(grant: grant.id, expiresAt: 0, session: signedIn.session)
            } else if let signedIn,
                let owned = try ownedGrants.newestGrant(buyer: signedIn.buyer, where: course.isOpened(by:))
            {
                // A course this buyer had (refunded, revoked, ended): say so, as on a browser with its cookie.
                value = AccessCookie.Value(grant: owned, expiresAt: 0, session: signedIn.session)
            } else if case .expired = check {
                return .notice(pages.expired(course: course))
            } else {
                return .noAccess(course: course)
            }
        }
        guard let grant = try grants.record(id: value.grant) else { return .noAccess(course: course) }
        switch grant.state(at: now) {
        case .revoked(let reason): return .notice(pages.withdrawn(course: course, reason: reason))
        case .ended(let at): return .notice(pages.ended(course: course, at: at))
        case .live: break
        }
        guard course.isOpened(by: grant.product) else { return .noAccess(course: course) }
        switch try devices.endedReason(value.session, now: now) {
        case nil: devices.seen(value.session, client: client, now: now)
        case "signed out": return .noAccess(course: course)
        case .some: return .notice(pages.signedOutElsewhere(course: course))
        }
        let refresh =
            value.expiresAt - Int(now.timeIntervalSince1970) < accessLifetime / 2
            ? issue(grant: grant.id, course: course.slug, session: value.session, now: now) : nil
        return serve(
            course: course, rest: rest, isFolder: isFolder, grant: grant, refresh: refresh, now: now,
            wording: manifest.wording ?? .english)
    }

    private func serve(
        course: BuildManifest.CourseEntry, rest: [String], isFolder: Bool, grant: GrantRecord,
        refresh: IssuedCookie?, now: Date, wording: ReaderWording
    ) -> Outcome {
        guard let first = rest.first else {
            // The course's own address, where a link lands: the lesson the buyer read last, on any device
            // (as the library's "Continue"), else the first paid lesson (free ones are public).
            let lastRead = (try? ownedGrants.progress(buyer: grant.buyerID)[course.slug]?.last?.lesson) ?? nil
            let start =
                lastRead.flatMap { slug in course.lessons.first { $0.slug == slug } }
                ?? course.lessons.first { !$0.free } ?? course.lessons.first
            return start.map { .redirect(location: Self.url(course: course.slug, lesson: $0)) } ?? .notFound
        }
        if let format = EditionFormat(segments: rest, isFolder: isFolder) {
            // The lessons open to this buyer today: one not yet open by its drip delay is left out.
            func opens(_ lesson: BuildManifest.LessonEntry) -> Date? {
                guard !lesson.free, let days = lesson.availableAfterDays else { return nil }
                return grant.startsAt.addingTimeInterval(TimeInterval(days) * 86_400)
            }
            let lessons = course.lessons.filter { (opens($0) ?? now) <= now }
            // Nothing open yet (every lesson drips): say when the first one opens, as its page would.
            guard !lessons.isEmpty else {
                let first = course.lessons.compactMap { lesson in opens(lesson).map { (lesson, $0) } }
                    .min { $0.1 < $1.1 }
                return first.map { .notice(pages.notYetAvailable(course: course, lesson: $0.0, on: $0.1)) } ?? .notFound
            }
            return .edition(
                EditionRequest(
                    format: format, course: course, grant: grant, lessons: lessons, wording: wording,
                    language: bundle.manifest.language),
                refresh: refresh)
        }
        if rest.count == 1, let lesson = course.lessons.first(where: { $0.slug == first }) {
            guard isFolder else { return .redirect(location: Self.url(course: course.slug, lesson: lesson)) }
            if lesson.free { return .redirect(location: Self.url(course: course.slug, lesson: lesson)) }
            if let days = lesson.availableAfterDays {
                let opens = grant.startsAt.addingTimeInterval(TimeInterval(days) * 86_400)
                if opens > now { return .notice(pages.notYetAvailable(course: course, lesson: lesson, on: opens)) }
            }
            guard let page = bundle.page(course: course.slug, lesson: lesson.slug) else { return .notFound }
            let chunks = chunkCache.withLock { cache -> [String] in
                if let known = cache[grant.id] { return known }
                if cache.count > 100_000 { cache.removeAll() }
                let made = watermarker.chunks(grant: UInt32(truncatingIfNeeded: grant.id))
                cache[grant.id] = made
                return made
            }
            let html = page.splicedBytes(stamp: wording.stamp(email: grant.email, order: grant.order)) {
                chunks[$0 % chunks.count]
            }
            return .lesson(html: html, refresh: refresh)
        }
        // Anything else is a file the paid lessons link to, copied by the build to <course>/files/.
        return .asset(RequestPath(segments: [course.slug, "files"] + rest, isFolder: isFolder), refresh: refresh)
    }

    private func signIn(
        slug: String, rest: [String], isFolder: Bool, token: String, catalog: [BuildManifest.CourseEntry],
        client: ClientInfo, now: Date
    ) throws -> Outcome {
        // A bundle's link names its product id; it opens every course that lists that id. Product ids
        // are not public, so for anything but a course slug the answer to a bad token is the same
        // whether or not the id exists (it used to be 401 for a product and 404 otherwise).
        let target = catalog.first { $0.slug == slug }
        let claims: AccessClaims
        do {
            claims = try verifier.verify(token, now: now)
        } catch .expired {
            return .notice(pages.expired(course: target))
        } catch .notYetValid(let until) {
            return .notice(pages.notYetValid(course: target, until: Date(timeIntervalSince1970: TimeInterval(until))))
        } catch {
            return .notice(pages.invalidLink(course: target))
        }
        guard claims.sub.hasPrefix("g_"), let grantID = Int64(claims.sub.dropFirst(2)),
            let grant = try GrantRecord.load(id: grantID, from: store)
        else {
            return .notice(pages.invalidLink(course: target))
        }
        // A token for something else says nothing about this id either: same answer as a bad token.
        guard target != nil || claims.aud == slug,
            let fallback = target ?? catalog.first(where: { $0.isOpened(by: slug) })
        else {
            return .notice(pages.invalidLink(course: nil))
        }
        // The courses this link opens: covered by the token's audience and by the grant's product.
        let opened = catalog.filter { $0.isOpened(by: claims.aud) && $0.isOpened(by: grant.product) }
        let landing: BuildManifest.CourseEntry
        if let target {
            guard opened.contains(where: { $0.slug == target.slug }) else {
                return .notice(pages.otherCourse(course: target))
            }
            landing = target
        } else {
            guard claims.aud == slug, let first = opened.first else {
                return .notice(pages.otherCourse(course: fallback))
            }
            landing = first
        }
        switch grant.state(at: now) {
        case .revoked(let reason): return .notice(pages.withdrawn(course: landing, reason: reason))
        case .ended(let at): return .notice(pages.ended(course: landing, at: at))
        case .live: break
        }
        let session = try devices.start(buyer: grant.buyerID, grant: grant.id, client: client, now: now)
        let issued =
            opened.map { issue(grant: grant.id, course: $0.slug, session: session, now: now) }
            + signInLibrary(grant.buyerID, session: session, now)
        let tail = rest.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 }.joined(
            separator: "/")
        let location = SiteRoutes.gate(landing.slug) + (tail.isEmpty ? "" : tail + (isFolder ? "/" : ""))
        return .signIn(cookies: issued, location: location)
    }

    /// Signs in the browser that just paid (`/access/claim`, see `CheckoutClaims`): the same cookies a
    /// signed link gives, without a token in any URL. `product` is the grant's own product.
    public func claimSignIn(
        grant: Int64, product: String, client: ClientInfo = .unknown, now: Date = Date()
    ) throws -> Outcome {
        let opened = bundle.courses.filter { $0.isOpened(by: product) }
        guard let first = opened.first, let buyer = try GrantRecord.load(id: grant, from: store)?.buyerID else {
            return .notFound
        }
        let session = try devices.start(buyer: buyer, grant: grant, client: client, now: now)
        let cookies =
            opened.map { issue(grant: grant, course: $0.slug, session: session, now: now) }
            + signInLibrary(buyer, session: session, now)
        return .signIn(cookies: cookies, location: SiteRoutes.gate(first.slug))
    }

    private func issue(grant: Int64, course: String, session: String, now: Date) -> IssuedCookie {
        let value = AccessCookie.Value(
            grant: grant, expiresAt: Int(now.timeIntervalSince1970) + accessLifetime, session: session)
        return IssuedCookie(
            name: AccessCookie.name, path: SiteRoutes.gate(course), value: cookies.encode(value, course: course),
            maxAge: accessLifetime + Self.gracePeriod)
    }

    /// The library's cookie and its script-readable marker, as long as a course's access lasts.
    private func signInLibrary(_ buyer: Int64, session: String, _ now: Date) -> [IssuedCookie] {
        let value = LibraryCookie.Value(
            buyer: buyer, expiresAt: Int(now.timeIntervalSince1970) + accessLifetime, session: session)
        return [
            IssuedCookie(
                name: LibraryCookie.name, path: "/", value: libraryCookie.encode(value), maxAge: accessLifetime),
            IssuedCookie(
                name: LibraryCookie.markerName, path: "/", value: "1", maxAge: accessLifetime, httpOnly: false),
        ]
    }

    static func url(course: String, lesson: BuildManifest.LessonEntry) -> String {
        SiteRoutes.lesson(lesson.slug, course: course, free: lesson.free)
    }
}
