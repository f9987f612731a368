import Foundation
import GRDB
import Hummingbird
import LecternKit

/// Routes a reader reaches from a payment provider or an e-mail.
struct AccessRoutes: Sendable {
    let store: Store
    let links: AccessLinks
    let keys: KeyStore
    /// How long `/access/claim` waits for a webhook that has not arrived yet.
    let claimWait: Duration

    func register(on router: Router<BasicRequestContext>) {
        // Instant access after checkout: Stripe's success_url carries {CHECKOUT_SESSION_ID}.
        router.get("/access/claim") { request, _ -> Response in
            guard let session = request.uri.queryParameters["session_id"].map(String.init), !session.isEmpty,
                  session.count <= 255 else {
                throw HTTPProblem.malformed("`session_id` is required")
            }
            let deadline = ContinuousClock.now + claimWait
            while true {
                if let link = try self.link(forSession: session) {
                    var headers = HTTPFields()
                    headers[.location] = link
                    headers[.cacheControl] = "no-store"
                    headers[.init("Referrer-Policy")!] = "no-referrer"
                    return Response(status: .seeOther, headers: headers)
                }
                guard ContinuousClock.now < deadline else { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            return .html(Self.checkEmailPage, status: .accepted)
        }
        router.get("/healthz") { _, _ -> Response in
            _ = try store.read { try Int.fetchOne($0, sql: "SELECT 1") }
            return .json(["status": "ok"])
        }
        router.get("/.well-known/jwks.json") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/jwk-set+json"
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: try keys.jwks())))
        }
    }

    /// A fresh signed link for the live grant bought in this checkout session, if recorded yet.
    private func link(forSession session: String) throws -> String? {
        let row = try store.read { db in
            try Row.fetchOne(db, sql: """
                SELECT grants.id AS grant, grants.product AS product FROM orders
                JOIN grants ON grants.order_id = orders.id
                WHERE orders.provider = 'stripe' AND orders.provider_order_id = ? AND orders.status = 'paid' AND grants.revoked_at IS NULL
                """, arguments: [session])
        }
        guard let row, let grant: Int64 = row["grant"], let product: String = row["product"] else { return nil }
        return try links.link(grant: grant, product: product)
    }

    static let checkEmailPage = """
    <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Check your e-mail</title><link rel="stylesheet" href="/style.css"></head><body><main id="main">
    <h1>Thank you — check your e-mail</h1>
    <p>Your payment is being confirmed. Your personal link to the course is on its way to the address you used at checkout;
    it usually arrives within a minute. You can reload this page to try again.</p></main></body></html>
    """
}
