import Foundation
import GRDB
import Hummingbird
import LecternKit

/// Routes a reader reaches from a payment provider or an e-mail, and the operator's endpoints.
struct AccessRoutes: Sendable {
    let store: Store
    let links: AccessLinks
    let keys: KeyStore
    /// How long `/access/claim` waits for a webhook that has not arrived yet.
    let claimWait: Duration
    let pages: GatePages
    let perAddress: RateLimiter
    let perClient: RateLimiter
    let trustProxy: Bool
    let metrics: RequestMetrics

    func register(on router: Router<LecternRequestContext>) {
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
                    headers[.referrerPolicy] = "no-referrer"
                    return Response(status: .seeOther, headers: headers)
                }
                guard ContinuousClock.now < deadline else { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            return .html(Self.checkEmailPage, status: .accepted)
        }
        router.post("/access/resend") { request, context -> Response in
            try await self.resend(request, client: context.clientAddress(request, trustProxy: trustProxy))
        }
        router.get("/metrics") { _, context -> Response in
            // Sales counts are business data: only the machine itself (or its proxy's scraper) may read them.
            guard context.isLoopback else {
                throw HTTPProblem(status: 403, code: "forbidden", title: "Forbidden", detail: "/metrics answers loopback clients only")
            }
            let depth = try? store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL") }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.render(outboxDepth: depth ?? nil))))
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

    /// `POST /access/resend` (`email`, optional `course`; form or JSON). The answer is the same whether
    /// or not the address has bought anything, and the e-mail is queued after answering, so neither
    /// the reply nor its timing tells a stranger who the buyers are.
    private func resend(_ request: Request, client: String) async throws -> Response {
        var buffer = try await request.body.collect(upTo: 4_096)
        let body = buffer.readString(length: buffer.readableBytes) ?? ""
        let fields: [String: String]
        if request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true {
            let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
            fields = object.compactMapValues { $0 as? String }
        } else {
            fields = Self.formFields(body)
        }
        let email = Store.normalizeEmail(fields["email"] ?? "")
        guard email.utf8.count <= 254, let at = email.firstIndex(of: "@"), at != email.startIndex, email[email.index(after: at)...].contains("."),
              !email.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            throw HTTPProblem.malformed("`email` must be an e-mail address")
        }
        for decision in [perClient.take("client:" + client), perAddress.take("address:" + email)] {
            if case .limited(let seconds) = decision { return .notice(pages.tooManyRequests(retryAfter: seconds), for: request) }
        }
        let queries = CreatorQueries(store: store), links = self.links
        Task.detached { _ = try? queries.resend(email: email, links: links) }
        return .notice(pages.resendAccepted(), for: request)
    }

    /// `application/x-www-form-urlencoded` fields (`+` is a space).
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
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
