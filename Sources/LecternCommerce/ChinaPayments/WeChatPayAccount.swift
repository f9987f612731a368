import Crypto
import CryptoExtras
import Foundation
import LecternConfig
import LecternCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The creator's WeChat Pay merchant (API v3), both directions. Orders: lecternd calls the API itself,
/// signed with the merchant key (`Native` on a computer: a `code_url` shown as a QR code; `H5` on a phone: a
/// page in WeChat Pay to send the browser to), and trusts the answer only with WeChat Pay's signature.
/// Notifications: verified, decrypted and read by `WeChatPayNotification`.
public struct WeChatPayAccount: Sendable {
    /// What the buyer is shown once the order is placed.
    public enum PlacedOrder: Sendable, Equatable {
        /// A computer: scan this with WeChat (`imageURL` is the QR code as an SVG `data:` URL).
        case scan(imageURL: String)
        /// A phone: continue in WeChat Pay's own page.
        case redirect(String)
    }

    public let settings: WeChatPaySettings
    let merchantKey: _RSA.Signing.PrivateKey
    let platformKey: _RSA.Signing.PublicKey
    let apiV3Key: SymmetricKey
    let notifyURL: String
    let claimURL: String
    /// How long lecternd waits for the API before telling the buyer to try again.
    static let timeout: TimeInterval = 10

    public init(settings: WeChatPaySettings, config: SiteConfig) throws {
        self.settings = settings
        merchantKey = try RSAKeyFile.privateKey(
            at: config.url(settings.merchantPrivateKey).path, for: "WeChat Pay merchant")
        platformKey = try RSAKeyFile.publicKey(at: config.url(settings.platformPublicKey).path, for: "WeChat Pay")
        apiV3Key = try RSAKeyFile.secret(
            at: config.url(settings.apiV3Key).path, bytes: 32, what: "WeChat Pay APIv3 key")
        notifyURL = config.baseURL + SiteRoutes.webhook(PaymentEvent.Provider.wechatpay.rawValue)
        claimURL = config.baseURL + SiteRoutes.claim
    }

    /// Places the order (`POST /v3/pay/transactions/native` or `/h5`).
    /// - Throws: 502 when WeChat Pay cannot be reached, refuses, or answers without its valid signature.
    public func place(
        outTradeNo: String, description: String, price: Money, onPhone: Bool, clientIP: String, now: Date = Date()
    ) async throws(HTTPProblem) -> PlacedOrder {
        var order: [String: Any] = [
            "appid": settings.appID, "mchid": settings.merchantID, "out_trade_no": outTradeNo,
            "description": String(description.prefix(40)), "notify_url": notifyURL,
            "amount": ["total": price.minorUnits, "currency": price.currency],
        ]
        if onPhone {
            order["scene_info"] = ["payer_client_ip": clientIP, "h5_info": ["type": "Wap"]]
        }
        let path = "/v3/pay/transactions/" + (onPhone ? "h5" : "native")
        let answer = try await post(path: path, json: order, now: now)
        if onPhone {
            guard let link = answer.string("h5_url"), link.hasPrefix("https://"), link.utf8.count <= 2_048 else {
                throw .providerFailed("WeChat Pay's answer has no https `h5_url`")
            }
            // After paying, WeChat Pay sends the browser here: the claim page, which waits for the notification.
            let back = claimURL + "?out_trade_no=" + outTradeNo
            return .redirect(link + "&redirect_url=" + AlipayAccount.percentEncoded(back))
        }
        guard let code = answer.string("code_url"), code.hasPrefix("weixin://"), code.utf8.count <= 512,
            let image = QRCodeImage.svgDataURL(for: code)
        else { throw .providerFailed("WeChat Pay's answer has no `code_url`") }
        return .scan(imageURL: image)
    }

    /// A notification: signature, time and key id, then the decrypted resource.
    public func notification(
        _ body: Data, header: (String) -> String?, now: Date = Date()
    ) throws(HTTPProblem)
        -> WeChatPayNotification
    {
        try WeChatPaySignature.verify(
            body: body, header: header, keyID: settings.platformKeyID, key: platformKey, now: now)
        return try WeChatPayNotification.parse(
            body, apiV3Key: apiV3Key, merchantID: settings.merchantID, appID: settings.appID)
    }

    private func post(path: String, json: [String: Any], now: Date) async throws(HTTPProblem) -> JSONObject {
        let body: Data
        let authorization: String
        do {
            body = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
            authorization = try WeChatPaySignature.authorization(
                method: "POST", path: path, body: String(decoding: body, as: UTF8.self),
                merchantID: settings.merchantID, serialNumber: settings.merchantSerialNumber, key: merchantKey,
                timestamp: Int(now.timeIntervalSince1970), nonce: WeChatPaySignature.nonce())
        } catch {
            throw .providerFailed("the order could not be signed: \(error)")
        }
        guard let url = URL(string: settings.api + path) else { throw .providerFailed("bad `[wechatpay] api`") }
        var request = URLRequest(url: url, timeoutInterval: Self.timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue(authorization, forHTTPHeaderField: "Authorization")
        request.setValue("lecternd/\(LecternVersion.current)", forHTTPHeaderField: "User-Agent")
        let (data, http) = try await ProviderHTTP.send(request, to: "WeChat Pay", limit: 65_536)
        do {
            try WeChatPaySignature.verify(
                body: data, header: { http.value(forHTTPHeaderField: $0) }, keyID: settings.platformKeyID,
                key: platformKey, now: Date())
        } catch {
            // Whoever answered is not WeChat Pay (or not with the configured key): show the buyer nothing of it.
            throw .providerFailed("the answer is not signed by WeChat Pay: \(error.detail)")
        }
        guard http.statusCode == 200 else {
            let reason = (try? JSONObject(data: data)).flatMap { $0.string("code") } ?? "status \(http.statusCode)"
            throw .providerFailed("WeChat Pay refused the order: \(reason)")
        }
        return try JSONObject(data: data)
    }
}
