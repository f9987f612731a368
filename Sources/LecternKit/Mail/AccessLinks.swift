import Foundation
import GRDB

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
        return "\(baseURL)/learn/\(product)/?token=\(token)"
    }

    func queueEmail(to email: EmailAddress, grant: Int64, product: String, db: Database, now: Date) throws {
        let link = try link(grant: grant, product: product, now: now)
        let body = """
            Thank you for your purchase.

            Open your course here:
            \(link)

            The link is personal: it signs you in on this browser. It works for \(lifetime / 86_400) days; after that, ask
            for a fresh one on the course page with this e-mail address.

            — \(siteTitle)
            """
        try Outbox.enqueue(to: email, subject: "Your access to \(product) · \(siteTitle)", body: body, db: db, now: now)
    }
}
