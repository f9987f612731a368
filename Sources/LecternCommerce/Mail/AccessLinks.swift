import Foundation
import LecternCore
import LecternStore

/// Signed links to a course and the e-mail that delivers them (queued in the outbox, in the caller's
/// transaction, so a grant never exists without its e-mail or the other way round).
public struct AccessLinks: Sendable {
    public let signer: TokenSigner
    public let baseURL: String
    public let lifetime: Int
    public let siteTitle: String

    public init(signer: TokenSigner, baseURL: String, lifetime: Int, siteTitle: String) {
        self.signer = signer
        self.baseURL = baseURL
        self.lifetime = lifetime
        self.siteTitle = siteTitle
    }

    /// The token's `sub` is the grant id: opaque, no personal data.
    public static func subject(grant: Int64) -> String { "g_\(grant)" }

    public func link(grant: Int64, product: String, now: Date = Date()) throws -> String {
        let token = try signer.sign(
            AccessClaims(subject: Self.subject(grant: grant), audience: product, issuedAt: now, lifetime: lifetime))
        return SiteRoutes.signedLink(baseURL: baseURL, product: product, token: token)
    }

    /// The e-mail that delivers a grant's link; the caller queues it in the grant's transaction.
    public func email(grant: Int64, product: String, now: Date = Date()) throws -> Outbox.Draft {
        let link = try link(grant: grant, product: product, now: now)
        let body = """
            Thank you for your purchase.

            Open your course here:
            \(link)

            The link is personal: it signs you in on this browser.\
             It works for \(lifetime / 86_400) days; after that, ask
            for a fresh one on the course page with this e-mail address.

            — \(siteTitle)
            """
        return Outbox.Draft(subject: "Your access to \(product) · \(siteTitle)", body: body)
    }
}

extension CreatorQueries {
    /// A complimentary grant with its link e-mail, queued in the grant's transaction.
    @discardableResult
    public func compGrant(email: EmailAddress, product: String, links: AccessLinks, now: Date = Date()) throws -> Int64
    {
        try compGrant(email: email, product: product, now: now) { grant in
            try links.email(grant: grant, product: product, now: now)
        }
    }

    /// A fresh link e-mail for each of the buyer's live grants; returns how many.
    public func resend(email: EmailAddress, links: AccessLinks, now: Date = Date()) throws -> Int {
        try resend(email: email, now: now) { grant, product in try links.email(grant: grant, product: product, now: now)
        }
    }
}
