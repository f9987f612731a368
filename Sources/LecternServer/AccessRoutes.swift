import Foundation
import Hummingbird
import LecternCommerce
import LecternCore
import LecternHTTP
import LecternStore
import Logging

/// Routes a reader reaches from a payment provider or an e-mail, and the operator's endpoints.
struct AccessRoutes: Sendable {
    let store: Store
    let keys: KeyStore
    let gate: Gate
    let claims: CheckoutClaims
    /// With `LECTERN_STRIPE_API_KEY`: a Stripe session not recorded yet is read from Stripe's API and fulfilled.
    let instantAccess: InstantAccess?
    let logger: Logger
    /// How long `/access/claim` waits for a webhook that has not arrived yet.
    let claimWait: Duration
    let pages: GatePages
    let health: DaemonHealth
    let perAddress: any RequestLimiter
    let perClient: any RequestLimiter
    /// `/access/claim` polls the store while it waits: a client gets a bounded number of those.
    let claimsPerClient: any RequestLimiter
    let trustProxy: Bool
    let secureCookies: Bool
    let metrics: RequestMetrics
    let metricsAccess: MetricsAccess

    func register(on router: Router<LecternRequestContext>) {
        // Instant access after checkout: Stripe's success_url carries {CHECKOUT_SESSION_ID}. The
        // first browser to present it, within minutes of the order, gets the access cookies
        // directly (no token in any URL); every later or late claim gets "check your e-mail".
        router.get(.init(SiteRoutes.claim)) { request, context -> Response in
            // Stripe's success URL names its Checkout session; Alipay's return URL (and the WeChat Pay QR
            // page, once paid) name lecternd's own order number.
            let query = request.uri.queryParameters
            let provider: PaymentEvent.Provider
            let session: String
            if let number = query["out_trade_no"].map(String.init), !number.isEmpty, number.utf8.count <= 64 {
                guard let checkout = try Checkouts(store: store).find(outTradeNo: number) else {
                    return self.checkEmail()
                }
                (provider, session) = (checkout.provider, number)
            } else if let id = query["session_id"].map(String.init), !id.isEmpty, id.utf8.count <= 255 {
                (provider, session) = (.stripe, id)
            } else {
                throw HTTPProblem.malformed("`session_id` (or `out_trade_no`) is required")
            }
            // Past its limit a client is not refused: it is told what every late claim is told, that
            // the link is in its e-mail (a buyer behind a shared address still gets in that way).
            let client = context.clientAddress(request, trustProxy: trustProxy)
            if case .limited = claimsPerClient.take("claim:" + client) { return self.checkEmail() }
            let deadline = ContinuousClock.now + claimWait
            var asked = false
            while true {
                switch try claims.claim(provider, order: session) {
                case .granted(let grant, let product):
                    let signIn = try gate.claimSignIn(
                        grant: grant, product: product, client: context.clientInfo(request, trustProxy: trustProxy))
                    return .signIn(signIn, secureCookies: secureCookies) ?? self.checkEmail()
                case .refused:
                    return self.checkEmail()
                case .notRecorded:
                    if provider == .stripe, let instantAccess, !asked {
                        // Once per claim: Stripe's own answer, fulfilled as the webhook would be.
                        asked = true
                        do {
                            if try await instantAccess.fulfil(session: session) != nil { continue }
                        } catch {
                            let reason = (error as? HTTPProblem)?.detail ?? "\(error)"
                            logger.warning("instant access: \(reason); waiting for the webhook")
                        }
                    }
                    guard ContinuousClock.now < deadline else { return self.checkEmail() }
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
        }
        router.post(.init(SiteRoutes.resend)) { request, context -> Response in
            try await self.resend(request, client: context.clientAddress(request, trustProxy: trustProxy))
        }
        router.get(.init(SiteRoutes.metrics)) { request, _ -> Response in
            // Sales counts are business data: off unless LECTERN_METRICS_TOKEN is set, then bearer-token only.
            guard metricsAccess.isEnabled else {
                throw HTTPProblem(
                    status: 404, kind: .notFound, title: "Page not found",
                    detail: "no page at /metrics")
            }
            guard metricsAccess.allows(authorization: request.headers[.authorization]) else {
                throw HTTPProblem(
                    status: 401, kind: .unauthorized, title: "Unauthorized",
                    detail: "send `Authorization: Bearer <\(MetricsAccess.environmentVariable)>`")
            }
            let depth = try? Outbox.depth(in: store)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            headers[.cacheControl] = "no-store"
            let text = metrics.render(outboxDepth: depth)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get(.init(SiteRoutes.health)) { _, _ -> Response in
            let report = health.report()
            return .json(
                ["status": report.status.rawValue, "reasons": report.reasons],
                status: report.status == .unavailable ? .serviceUnavailable : .ok)
        }
        router.get(.init(SiteRoutes.jwks)) { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/jwk-set+json"
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: try keys.jwks())))
        }
    }

    /// `POST /access/resend` (`email`, optional `course`; form or JSON). The answer is the same whether
    /// or not the address has bought anything, and the e-mail is queued after answering, so neither
    /// the reply nor its timing tells a stranger who the buyers are. The client's limit is taken first:
    /// a request refused for its client never spends the buyer's own budget (three requests from
    /// anyone used to lock a buyer out for an hour).
    private func resend(_ request: Request, client: String) async throws -> Response {
        var buffer = try await request.body.collect(upTo: 4_096)
        let body = buffer.readString(length: buffer.readableBytes) ?? ""
        let fields: [String: String]
        if request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true {
            let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
            fields = object.compactMapValues { $0 as? String }
        } else {
            fields = FormFields.parse(body)
        }
        guard let email = EmailAddress(fields["email"] ?? "") else {
            throw HTTPProblem.malformed("`email` must be an e-mail address")
        }
        for (limiter, key) in [(perClient, "client:" + client), (perAddress, "address:" + email.value)] {
            if case .limited(let seconds) = limiter.take(key) {
                return .notice(pages.tooManyRequests(retryAfter: seconds), for: request)
            }
        }
        let queries = CreatorQueries(store: store)
        Task.detached { _ = try? queries.resend(email: email) }
        return .notice(pages.resendAccepted(), for: request)
    }

    /// Every claim that does not sign in ends here (202): the link is on its way by e-mail.
    func checkEmail() -> Response { .html(pages.checkEmail().html, status: .accepted) }
}
