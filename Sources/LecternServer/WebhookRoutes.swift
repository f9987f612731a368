import Foundation
import HTTPTypes
import Hummingbird
import LecternCommerce
import LecternCore
import LecternStore
import Logging
import NIOFoundationEssentialsCompat

/// `POST /webhooks/{stripe,standard,lemonsqueezy,alipay,wechatpay}`: verify the signature over the raw bytes,
/// parse, record exactly once, and answer 2xx only after the transaction committed.
struct WebhookRoutes: Sendable {
    let processor: WebhookProcessor
    let secrets: WebhookSecrets
    /// `[alipay]`'s app, when the site sells through Alipay; its orders are in `checkouts`.
    let alipay: AlipayAccount?
    /// `[wechatpay]`'s merchant, when the site sells through WeChat Pay.
    let weChatPay: WeChatPayAccount?
    let checkouts: Checkouts
    let maxBodyBytes: Int
    let logger: Logger
    let metrics: RequestMetrics

    func register(on router: Router<LecternRequestContext>) {
        router.post(.init(SiteRoutes.webhook("stripe"))) { request, _ in
            let body = try await self.body(of: request)
            guard let secret = secrets.stripe else { throw Self.notConfigured("LECTERN_STRIPE_WEBHOOK_SECRET") }
            try WebhookSignatures.verifyStripe(
                body: body, header: request.headers[.init("Stripe-Signature")!], secret: secret)
            return try await self.record(try ProviderParsers.stripe(body), body: body)
        }
        router.post(.init(SiteRoutes.webhook("standard"))) { request, _ in
            let body = try await self.body(of: request)
            guard let secret = secrets.standard else { throw Self.notConfigured("LECTERN_STANDARD_WEBHOOK_SECRET") }
            let id = request.headers[.init("webhook-id")!]
            try WebhookSignatures.verifyStandard(
                body: body, id: id, timestamp: request.headers[.init("webhook-timestamp")!],
                signature: request.headers[.init("webhook-signature")!], secret: secret)
            return try await self.record(try ProviderParsers.standard(body, id: id ?? ""), body: body)
        }
        router.post(.init(SiteRoutes.webhook("lemonsqueezy"))) { request, _ in
            let body = try await self.body(of: request)
            guard let secret = secrets.lemonSqueezy else { throw Self.notConfigured("LECTERN_LEMONSQUEEZY_SECRET") }
            try WebhookSignatures.verifyLemonSqueezy(
                body: body, signature: request.headers[.init("X-Signature")!], secret: secret)
            return try await self.record(try ProviderParsers.lemonSqueezy(body), body: body)
        }
        router.post(.init(SiteRoutes.webhook(PaymentEvent.Provider.alipay.rawValue))) { request, _ in
            let body = try await self.body(of: request)
            guard let alipay else { throw Self.notConfigured("[alipay] in lectern.toml") }
            let notification = try alipay.notification(body)
            let checkout = notification.kind == .paid ? try self.checkout(notification.outTradeNo, .alipay) : nil
            _ = try await self.recorded(try notification.event(checkout: checkout), body: body)
            // The answer Alipay's documentation requires, exactly: anything else is retried.
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "success")))
        }
        router.post(.init(SiteRoutes.webhook(PaymentEvent.Provider.wechatpay.rawValue))) { request, _ in
            let body = try await self.body(of: request)
            guard let weChatPay else { throw Self.notConfigured("[wechatpay] in lectern.toml") }
            let notification = try weChatPay.notification(body) { name in
                HTTPField.Name(name).flatMap { request.headers[$0] }
            }
            var checkout: (email: EmailAddress, product: String, price: Money)?
            if case .paid = notification.kind { checkout = try self.checkout(notification.outTradeNo, .wechatpay) }
            _ = try await self.recorded(try notification.event(checkout: checkout), body: body)
            // API v3: a 2xx without a body is "received"; anything else is retried.
            return Response(status: .noContent)
        }
    }

    /// The checkout lecternd placed with this provider under this number, if any.
    private func checkout(
        _ number: String, _ provider: PaymentEvent.Provider
    ) throws -> (email: EmailAddress, product: String, price: Money)? {
        let order: Checkouts.Checkout?
        do { order = try checkouts.find(outTradeNo: number) } catch {
            throw HTTPProblem.storeUnavailable(cause: "\(error)")
        }
        guard let order, order.provider == provider else { return nil }
        return (order.email, order.product, order.price)
    }

    private func body(of request: Request) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            throw HTTPProblem.tooLarge(maxBodyBytes)
        }
        do {
            var buffer = try await request.body.collect(upTo: maxBodyBytes)
            return buffer.readData(length: buffer.readableBytes) ?? Data()
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw HTTPProblem.tooLarge(maxBodyBytes)
        }
    }

    private func record(_ event: PaymentEvent, body: Data) async throws -> Response {
        .json(["received": true, "result": try await recorded(event, body: body)])
    }

    /// Records the event and returns what it did (`duplicate` or the effect).
    private func recorded(_ event: PaymentEvent, body: Data) async throws -> String {
        let outcome = try await processor.process(event, rawBody: body)
        let result: String
        switch outcome {
        case .duplicate: result = "duplicate"
        case .recorded(let effect): result = effect.rawValue
        }
        metrics.recordWebhook(provider: event.provider.rawValue, result: result)
        // Event ids and types only: bodies hold personal data, signatures and tokens never get logged.
        logger.info(
            "webhook",
            metadata: [
                "provider": "\(event.provider.rawValue)", "event_id": "\(event.eventID)",
                "type": "\(event.type)", "result": "\(result)",
            ])
        return result
    }

    /// Providers retry on 5xx, so an unconfigured secret loses nothing once it is set.
    static func notConfigured(_ variable: String) -> HTTPProblem {
        HTTPProblem(
            status: 503, kind: .notConfigured, title: "Provider not configured",
            detail: "set \(variable) in lecternd's environment")
    }
}

/// Webhook signing secrets, from the environment only (never from lectern.toml, never logged).
public struct WebhookSecrets: Sendable {
    public var stripe: String?
    public var standard: String?
    public var lemonSqueezy: String?

    public init(stripe: String? = nil, standard: String? = nil, lemonSqueezy: String? = nil) {
        self.stripe = stripe
        self.standard = standard
        self.lemonSqueezy = lemonSqueezy
    }

    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> WebhookSecrets {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        return WebhookSecrets(
            stripe: value("LECTERN_STRIPE_WEBHOOK_SECRET"), standard: value("LECTERN_STANDARD_WEBHOOK_SECRET"),
            lemonSqueezy: value("LECTERN_LEMONSQUEEZY_SECRET"))
    }
}
