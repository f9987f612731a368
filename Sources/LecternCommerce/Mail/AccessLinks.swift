import Foundation
import LecternCore
import LecternStore

/// Signed links to a course and the e-mail that delivers them (queued in the outbox, in the caller's
/// transaction, so a grant never exists without its e-mail or the other way round).
public struct AccessLinks: Sendable {
    /// The key links are signed with now (lecternd follows `keys/`, see `LiveSigner`).
    public var signer: TokenSigner { currentSigner() }
    private let currentSigner: @Sendable () -> TokenSigner
    public let baseURL: String
    public let lifetime: Int
    public let siteTitle: String
    /// The built catalog (course titles, the site's wording), read when an e-mail is made: the daemon's
    /// live bundle, or the CLI's copy; nil before any build (English, the product id as title).
    public let manifest: @Sendable () -> BuildManifest?

    public init(
        signer: TokenSigner, baseURL: String, lifetime: Int, siteTitle: String,
        manifest: @escaping @Sendable () -> BuildManifest? = { nil }
    ) {
        self.init(
            currentSigner: { signer }, baseURL: baseURL, lifetime: lifetime, siteTitle: siteTitle, manifest: manifest)
    }

    /// Links signed with whatever key `keys/` makes active (the daemon's).
    public init(
        liveSigner: LiveSigner, baseURL: String, lifetime: Int, siteTitle: String,
        manifest: @escaping @Sendable () -> BuildManifest? = { nil }
    ) {
        self.init(
            currentSigner: liveSigner.current, baseURL: baseURL, lifetime: lifetime, siteTitle: siteTitle,
            manifest: manifest)
    }

    private init(
        currentSigner: @escaping @Sendable () -> TokenSigner, baseURL: String, lifetime: Int, siteTitle: String,
        manifest: @escaping @Sendable () -> BuildManifest?
    ) {
        self.currentSigner = currentSigner
        self.baseURL = baseURL
        self.lifetime = lifetime
        self.siteTitle = siteTitle
        self.manifest = manifest
    }

    /// The token's `sub` is the grant id: opaque, no personal data.
    public static func subject(grant: Int64) -> String { "g_\(grant)" }

    public func link(grant: Int64, product: String, now: Date = Date()) throws -> String {
        let token = try signer.sign(
            AccessClaims(subject: Self.subject(grant: grant), audience: product, issuedAt: now, lifetime: lifetime))
        return SiteRoutes.signedLink(baseURL: baseURL, product: product, token: token)
    }

    /// The e-mail that delivers a grant's link, worded for why it is sent; the caller queues it in the
    /// grant's transaction.
    public func email(grant: Int64, product: String, kind: EmailKind, now: Date = Date()) throws -> Outbox.Draft {
        let link = try link(grant: grant, product: product, now: now)
        let catalog = manifest()
        let (subject, body) = (catalog?.wording ?? .english).email(
            kind, courseTitle: catalog?.title(of: product) ?? product, siteTitle: siteTitle, link: link,
            days: lifetime / 86_400)
        return Outbox.Draft(subject: subject, body: body)
    }
}

extension CreatorQueries {
    /// A complimentary grant with its link e-mail, queued in the grant's transaction (or, for a buyer who
    /// already has access, the link again).
    @discardableResult
    public func compGrant(
        email: EmailAddress, product: String, links: AccessLinks, now: Date = Date()
    ) throws -> (grant: Int64, isNew: Bool) {
        try compGrant(email: email, product: product, now: now) { grant, isNew in
            try links.email(grant: grant, product: product, kind: isNew ? .comp : .resend, now: now)
        }
    }

    /// A fresh link e-mail for each of the buyer's live grants; returns how many.
    public func resend(email: EmailAddress, links: AccessLinks, now: Date = Date()) throws -> Int {
        try resend(email: email, now: now) { grant, product in
            try links.email(grant: grant, product: product, kind: .resend, now: now)
        }
    }
}
