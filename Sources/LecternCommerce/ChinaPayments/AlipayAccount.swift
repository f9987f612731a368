import CryptoExtras
import Foundation
import LecternConfig
import LecternCore

/// The creator's Alipay app, both directions. Orders: no server-to-server call, the buyer's browser is
/// sent to the gateway with the order in the query string, signed with the app private key (电脑网站支付
/// `alipay.trade.page.pay` on a computer, 手机网站支付 `alipay.trade.wap.pay` on a phone).
/// Notifications: verified with Alipay's public key (`AlipayNotification`).
public struct AlipayAccount: Sendable {
    public let settings: AlipaySettings
    let key: _RSA.Signing.PrivateKey
    let alipayKey: _RSA.Signing.PublicKey
    /// Where Alipay posts its notifications, and where it sends the buyer back.
    let notifyURL: String
    let returnURL: String

    /// Minutes an unpaid order stays open at Alipay (`timeout_express`).
    static let unpaidOrderMinutes = 30

    /// Reads the keys named in `[alipay]` (the private one must be 0600, see `RSAKeyFile`).
    public init(settings: AlipaySettings, config: SiteConfig) throws {
        self.settings = settings
        key = try RSAKeyFile.privateKey(at: config.url(settings.appPrivateKey).path, for: "Alipay app")
        alipayKey = try RSAKeyFile.publicKey(at: config.url(settings.alipayPublicKey).path, for: "Alipay")
        notifyURL = config.baseURL + SiteRoutes.webhook(PaymentEvent.Provider.alipay.rawValue)
        returnURL = config.baseURL + SiteRoutes.claim
    }

    /// The gateway URL for one order. `onPhone` picks the mobile-site product, which opens the Alipay app.
    public func paymentURL(
        outTradeNo: String, subject: String, price: Money, onPhone: Bool, now: Date = Date()
    ) throws -> String {
        let order: [String: String] = [
            "out_trade_no": outTradeNo, "total_amount": price.decimalString, "subject": Self.subject(subject),
            "product_code": onPhone ? "QUICK_WAP_WAY" : "FAST_INSTANT_TRADE_PAY",
            "timeout_express": "\(Self.unpaidOrderMinutes)m",
        ]
        let bizContent = String(
            decoding: try JSONSerialization.data(
                withJSONObject: order, options: [.sortedKeys, .withoutEscapingSlashes]),
            as: UTF8.self)
        var parameters = [
            "app_id": settings.appID, "method": onPhone ? "alipay.trade.wap.pay" : "alipay.trade.page.pay",
            "format": "JSON", "charset": "utf-8", "sign_type": "RSA2", "version": "1.0",
            "timestamp": Self.beijingTime(now), "notify_url": notifyURL, "return_url": returnURL,
            "biz_content": bizContent,
        ]
        parameters["sign"] = try AlipaySignature.sign(
            AlipaySignature.content(of: parameters, excluding: ["sign"]), with: key)
        let query = parameters.keys.sorted().map { "\($0)=\(Self.percentEncoded(parameters[$0, default: ""]))" }
        return settings.gateway + "?" + query.joined(separator: "&")
    }

    /// A notification Alipay signed for this app (see `AlipayNotification.parse`).
    public func notification(_ body: Data) throws(HTTPProblem) -> AlipayNotification {
        try AlipayNotification.parse(body, appID: settings.appID, key: alipayKey)
    }

    /// Alipay's `subject`: at most 256 characters, and no `/`, `=` or `&`, which its gateway refuses.
    static func subject(_ title: String) -> String {
        let cleaned = title.unicodeScalars.map { scalar -> String in
            "/=&".unicodeScalars.contains(scalar) || scalar.properties.generalCategory == .control
                ? " " : String(scalar)
        }.joined()
        return String(cleaned.prefix(128))
    }

    /// "2026-11-22 19:50:04": Alipay's timestamps are Beijing time (UTC+8, no daylight saving).
    static func beijingTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3_600) ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(parts.year ?? 1970)-\(two(parts.month))-\(two(parts.day)) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
    }

    /// Everything but RFC 3986's unreserved characters encoded, so a value can hold `&`, `=`, `+` or
    /// Chinese and still arrive as signed.
    static func percentEncoded(_ value: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
