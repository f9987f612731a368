import Foundation
import Hummingbird
import LecternCommerce
import LecternCore
import LecternHTTP
import LecternStore

/// `POST /pay/alipay` and `POST /pay/wechatpay`: the course page's pay form (`course`, `email`). lecternd
/// places the order itself: it records a checkout under its own `out_trade_no`, then sends the browser to
/// Alipay with the signed order, or asks WeChat Pay for one and shows its QR code (a phone goes to WeChat
/// Pay's own page). The notification (`WebhookRoutes`) grants; `/access/claim?out_trade_no=` signs the
/// browser in as soon as it has, and `GET /pay/status` tells the QR page when that is.
struct CheckoutRoutes: Sendable {
    let alipay: AlipayAccount?
    let weChatPay: WeChatPayAccount?
    let checkouts: Checkouts
    let bundle: LiveBundle
    let pages: GatePages
    /// Checkouts per client address: each writes a row (and a WeChat Pay one calls its API).
    let perClient: any RequestLimiter
    let trustProxy: Bool

    func register(on router: Router<LecternRequestContext>) {
        router.post(.init(SiteRoutes.pay(PaymentEvent.Provider.alipay.rawValue))) { request, context -> Response in
            guard let alipay else { throw WebhookRoutes.notConfigured("[alipay] in lectern.toml") }
            let (number, product, price): (String, String, Money)
            switch try await self.checkout(.alipay, request, context) {
            case .refused(let response): return response
            case .placed(let order): (number, product, price) = order
            }
            let url = try alipay.paymentURL(
                outTradeNo: number, subject: bundle.manifest.title(of: product) ?? product, price: price,
                onPhone: Self.isPhone(request))
            return Self.redirect(to: url)
        }
        router.post(.init(SiteRoutes.pay(PaymentEvent.Provider.wechatpay.rawValue))) { request, context -> Response in
            guard let weChatPay else { throw WebhookRoutes.notConfigured("[wechatpay] in lectern.toml") }
            let (number, product, price): (String, String, Money)
            switch try await self.checkout(.wechatpay, request, context) {
            case .refused(let response): return response
            case .placed(let order): (number, product, price) = order
            }
            let placed = try await weChatPay.place(
                outTradeNo: number, description: bundle.manifest.title(of: product) ?? product, price: price,
                onPhone: Self.isPhone(request),
                // WeChat Pay wants an address; a socket always has one (the fallback is never expected).
                clientIP: context.clientIP(request, trustProxy: trustProxy) ?? "127.0.0.1")
            switch placed {
            case .redirect(let url):
                return Self.redirect(to: url)
            case .scan(let image):
                guard let course = bundle.manifest.courses.first(where: { $0.slug == product }) else {
                    throw HTTPProblem.unknownProduct(product)
                }
                return .notice(
                    pages.payWeChat(course: course, price: price, qrImage: image, order: number), for: request)
            }
        }
        // The QR page asks this every few seconds: one indexed read, nothing about the buyer.
        router.get(.init(SiteRoutes.payStatus)) { request, _ -> Response in
            guard let number = request.uri.queryParameters["out_trade_no"].map(String.init),
                (1...64).contains(number.utf8.count)
            else { throw HTTPProblem.malformed("`out_trade_no` is required") }
            let paid: Bool
            do { paid = try checkouts.isPaid(outTradeNo: number) } catch {
                throw HTTPProblem.storeUnavailable(cause: "\(error)")
            }
            return .json(["paid": paid])
        }
    }

    enum Checkout {
        /// Recorded: lecternd's order number, the product and the price asked for.
        case placed((number: String, product: String, price: Money))
        /// Refused before anything was written (the client's limit): the page to answer with.
        case refused(Response)
    }

    /// The form checked (the course on sale, in yuan: these providers charge CNY only), the client's limit
    /// taken, and the checkout recorded, committed before the provider hears of it.
    private func checkout(
        _ provider: PaymentEvent.Provider, _ request: Request, _ context: LecternRequestContext
    ) async throws -> Checkout {
        var buffer = try await request.body.collect(upTo: 4_096)
        let fields = FormFields.parse(buffer.readString(length: buffer.readableBytes) ?? "")
        guard let email = EmailAddress(fields["email"] ?? "") else { throw HTTPProblem.invalidEmail("email") }
        let product = fields["course"] ?? ""
        guard LessonFileName.isValidSlug(product), let price = bundle.manifest.pricing(of: product)?.price else {
            throw HTTPProblem.unknownProduct(product)
        }
        guard price.currency == "CNY", !price.isFree else {
            throw HTTPProblem.malformed("`\(product)` is not priced in CNY (Alipay and WeChat Pay charge yuan)")
        }
        let client = context.clientAddress(request, trustProxy: trustProxy)
        if case .limited(let seconds) = perClient.take("checkout:" + client) {
            return .refused(.notice(pages.tooManyRequests(retryAfter: seconds), for: request))
        }
        let number = Checkouts.newOutTradeNo()
        do {
            try checkouts.record(provider: provider, outTradeNo: number, product: product, email: email, price: price)
        } catch {
            throw HTTPProblem.storeUnavailable(cause: "\(error)")
        }
        return .placed((number, product, price))
    }

    static func redirect(to url: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        headers[.referrerPolicy] = "no-referrer"
        return Response(status: .seeOther, headers: headers)
    }

    /// Phones get the mobile checkouts (Alipay's mobile site, WeChat Pay H5), which hand over to the app.
    static func isPhone(_ request: Request) -> Bool {
        let agent = request.headers[.userAgent] ?? ""
        return ["Mobile", "Android", "iPhone"].contains { agent.contains($0) }
    }
}
