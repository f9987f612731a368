import Foundation
import Hummingbird
import LecternCommerce
import LecternCore
import LecternHTTP
import LecternStore

/// `POST /pay/alipay`: the course page's 支付宝支付 form (`course`, `email`). lecternd places the order
/// itself: it records a checkout under its own `out_trade_no`, then sends the browser to Alipay with the
/// signed order. The notification (`WebhookRoutes`) grants; Alipay's return to `/access/claim` signs the
/// browser in as soon as it has.
struct CheckoutRoutes: Sendable {
    let alipay: AlipayAccount?
    let checkouts: Checkouts
    let bundle: LiveBundle
    let pages: GatePages
    /// Checkouts per client address: each writes a row.
    let perClient: RateLimiter
    let trustProxy: Bool

    func register(on router: Router<LecternRequestContext>) {
        router.post(.init(SiteRoutes.pay(PaymentEvent.Provider.alipay.rawValue))) { request, context -> Response in
            guard let alipay else { throw WebhookRoutes.notConfigured("[alipay] in lectern.toml") }
            let (product, price, email) = try await self.order(request)
            let client = context.clientAddress(request, trustProxy: trustProxy)
            if case .limited(let seconds) = perClient.take("checkout:" + client) {
                return .notice(pages.tooManyRequests(retryAfter: seconds), for: request)
            }
            let number = Checkouts.newOutTradeNo()
            do {
                try checkouts.record(
                    provider: .alipay, outTradeNo: number, product: product, email: email, price: price)
            } catch {
                throw HTTPProblem.storeUnavailable(cause: "\(error)")
            }
            let url = try alipay.paymentURL(
                outTradeNo: number, subject: bundle.manifest.title(of: product) ?? product, price: price,
                onPhone: Self.isPhone(request))
            var headers = HTTPFields()
            headers[.location] = url
            headers[.cacheControl] = "no-store"
            headers[.referrerPolicy] = "no-referrer"
            return Response(status: .seeOther, headers: headers)
        }
    }

    /// The form's course and address, checked: the course must be on sale, in yuan (Alipay's and WeChat
    /// Pay's checkouts charge CNY only).
    private func order(_ request: Request) async throws -> (product: String, price: Money, email: EmailAddress) {
        var buffer = try await request.body.collect(upTo: 4_096)
        let fields = FormFields.parse(buffer.readString(length: buffer.readableBytes) ?? "")
        guard let email = EmailAddress(fields["email"] ?? "") else {
            throw HTTPProblem.invalidEmail("email")
        }
        let product = fields["course"] ?? ""
        guard LessonFileName.isValidSlug(product), let price = bundle.manifest.price(of: product) else {
            throw HTTPProblem.unknownProduct(product)
        }
        guard price.currency == "CNY", !price.isFree else {
            throw HTTPProblem.malformed("`\(product)` is not priced in CNY (Alipay and WeChat Pay charge yuan)")
        }
        return (product, price, email)
    }

    /// Phones get the mobile-site checkout, which hands over to the Alipay app.
    static func isPhone(_ request: Request) -> Bool {
        let agent = request.headers[.userAgent] ?? ""
        return ["Mobile", "Android", "iPhone"].contains { agent.contains($0) }
    }
}
