import Foundation
import LecternCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads a Checkout Session from Stripe's API, for instant access from the success page: the session id in
/// the success URL is only a question put to Stripe (over TLS, with the creator's secret key); Stripe's
/// answer is what is fulfilled. Optional: on when `LECTERN_STRIPE_API_KEY` is set (a restricted key with
/// read access to Checkout Sessions is enough).
public struct StripeAPI: Sendable {
    public static let keyVariable = "LECTERN_STRIPE_API_KEY"
    /// For tests and proxies: where the API is (default `https://api.stripe.com`; plain http only to loopback).
    public static let baseVariable = "LECTERN_STRIPE_API_BASE"
    /// Within the success page's own wait (`claim_wait_seconds`, 5 by default): a slow answer falls back to
    /// the webhook rather than keep the buyer waiting.
    static let timeout: TimeInterval = 5
    /// Larger answers are refused: a session with its line items is a few kilobytes.
    static let maxAnswer = 1_048_576

    let key: String
    let base: String

    /// Nil when no key is set; an error for a key or base that cannot be right (it goes into a header and
    /// a URL, so it is checked before it is used).
    public init?(environment: [String: String]) throws(LecternError) {
        guard let key = environment[Self.keyVariable], !key.isEmpty else { return nil }
        let prefixes = ["sk_live_", "sk_test_", "rk_live_", "rk_test_"]
        guard prefixes.contains(where: key.hasPrefix), key.utf8.count <= 255,
            key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else {
            throw LecternError(
                .config, "\(Self.keyVariable) is not a Stripe secret or restricted key",
                hint: "copy it from the Stripe Dashboard → Developers → API keys (sk_… or rk_…)")
        }
        let base = environment[Self.baseVariable] ?? "https://api.stripe.com"
        guard let url = URL(string: base), let host = url.host,
            url.scheme == "https" || (url.scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host)),
            url.path.isEmpty || url.path == "/"
        else {
            throw LecternError(
                .config, "\(Self.baseVariable) must be an https address (http only to this machine)",
                hint: "leave it unset to use https://api.stripe.com")
        }
        self.key = key
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    /// `cs_`, `cs_test_` or `cs_live_` and letters and digits: the only text put into the request's path.
    public static func isSessionID(_ id: String) -> Bool {
        id.hasPrefix("cs_") && (4...255).contains(id.utf8.count)
            && id.dropFirst(3).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// The session with its line items (`expand[]=line_items`), as Stripe's JSON.
    public func checkoutSession(_ id: String) async throws(HTTPProblem) -> Data {
        guard Self.isSessionID(id),
            let url = URL(string: "\(base)/v1/checkout/sessions/\(id)?expand%5B%5D=line_items")
        else { throw .malformed("not a Checkout Session id") }
        var request = URLRequest(url: url, timeoutInterval: Self.timeout)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("lecternd/\(LecternVersion.current)", forHTTPHeaderField: "User-Agent")
        let (data, http) = try await ProviderHTTP.send(request, to: "Stripe", limit: Self.maxAnswer)
        guard http.statusCode == 200 else {
            let reason = (try? JSONObject(data: data)).flatMap { $0.string("error", "message") }
            throw .providerFailed(
                "Stripe refused: status \(http.statusCode)\(reason.map { ", \($0.prefix(200))" } ?? "")")
        }
        return data
    }
}

/// Fulfils a paid Checkout Session from the success page, before (or without) its webhook: the same
/// `WebhookProcessor` as the webhook, so whichever comes first records the one order, grant and e-mail,
/// and the other finds it recorded (orders are unique per provider and session).
public struct InstantAccess: Sendable {
    let api: StripeAPI
    let processor: WebhookProcessor

    public init(api: StripeAPI, processor: WebhookProcessor) {
        self.api = api
        self.processor = processor
    }

    /// What asking Stripe did: nil for a session not paid yet (nothing is recorded, so asking again later,
    /// or the webhook, still fulfils it). Errors are why the success page falls back to waiting for the webhook.
    public func fulfil(session: String) async throws(HTTPProblem) -> WebhookProcessor.Outcome? {
        let data = try await api.checkoutSession(session)
        let object = try JSONObject(data: data)
        // Only the session asked about: an answer about another one is not Stripe's answer to this question.
        guard object.string("id") == session, object.string("object") == "checkout.session" else {
            throw .providerFailed("Stripe's answer is not the session asked for")
        }
        let action = try ProviderParsers.stripeCheckoutSession(object)
        guard case .paid = action else { return nil }
        let event = PaymentEvent(
            provider: .stripe, eventID: "api:" + session, type: "checkout.session.completed", action: action)
        return try await processor.process(event, rawBody: data)
    }
}
