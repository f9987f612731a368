import Foundation
import LecternCore

/// `[wechatpay]` in `lectern.toml`: the creator's WeChat Pay merchant (API v3; Native QR payment on a
/// computer, H5 on a phone). Present means "sell CNY courses through WeChat Pay". Keys and the APIv3 key are
/// files (the secret ones 0600), never values in this file.
public struct WeChatPaySettings: Sendable, Equatable {
    public static let productionAPI = "https://api.mch.weixin.qq.com"

    /// 商户号 (digits).
    public var merchantID: String
    /// The AppID bound to the merchant (公众号 / 网站应用 `wx…`).
    public var appID: String
    /// 商户 API 证书序列号: names the merchant key in every request's `Authorization`.
    public var merchantSerialNumber: String
    /// 微信支付公钥 ID (`PUB_KEY_ID_…`): every notification's `Wechatpay-Serial` must name it.
    public var platformKeyID: String
    /// Where orders are placed; a test or a proxy may stand in for WeChat Pay's own API.
    public var api = productionAPI
    /// `apiclient_key.pem` (0600): signs each order request.
    public var merchantPrivateKey = "keys/wechatpay-apiclient-key.pem"
    /// 微信支付公钥 (`pub_key.pem`): verifies every answer and notification.
    public var platformPublicKey = "keys/wechatpay-public-key.pem"
    /// The 32-character APIv3 key (0600): decrypts notifications (AES-256-GCM).
    public var apiV3Key = "keys/wechatpay-apiv3.key"

    public init(merchantID: String, appID: String, merchantSerialNumber: String, platformKeyID: String) {
        self.merchantID = merchantID
        self.appID = appID
        self.merchantSerialNumber = merchantSerialNumber
        self.platformKeyID = platformKeyID
    }

    /// `headerLine`: the `[wechatpay]` line, where a missing key is reported.
    init(_ table: SettingsTable, headerLine: Int?) throws {
        try table.rejectUnknownKeys(
            allowed: [
                "mchid", "appid", "merchant_serial_no", "platform_key_id", "api", "merchant_private_key",
                "platform_public_key", "apiv3_key",
            ], section: "wechatpay")
        func required(_ key: String, _ hint: String, valid: (String) -> Bool) throws -> String {
            guard let value = try table.string(key) else {
                throw LecternError(
                    table.step, file: table.file, line: headerLine ?? 1, "`[wechatpay]` has no `\(key)`", hint: hint)
            }
            guard (1...64).contains(value.count), value.allSatisfy({ $0.isASCII }), valid(value) else {
                throw table.error(key, "`wechatpay.\(key)` \"\(value)\" is not valid", hint: hint)
            }
            return value
        }
        merchantID = try required("mchid", "the 商户号 from pay.weixin.qq.com, digits") {
            $0.allSatisfy(\.isNumber)
        }
        appID = try required("appid", "the AppID bound to the merchant, e.g. \"wx8888888888888888\"") {
            $0.hasPrefix("wx") && $0.allSatisfy { $0.isLetter || $0.isNumber }
        }
        merchantSerialNumber = try required("merchant_serial_no", "the merchant API certificate's serial number") {
            $0.allSatisfy(\.isHexDigit)
        }
        platformKeyID = try required("platform_key_id", "the WeChat Pay public key's ID, \"PUB_KEY_ID_…\"") {
            $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        }
        if let api = try table.string("api") {
            guard let url = URL(string: api), ["https", "http"].contains(url.scheme ?? ""), url.host != nil,
                url.query == nil, url.path.isEmpty || url.path == "/"
            else {
                throw table.error(
                    "api", "`wechatpay.api` must be a scheme and host such as \(Self.productionAPI), got \"\(api)\"")
            }
            self.api = api.hasSuffix("/") ? String(api.dropLast()) : api
        }
        merchantPrivateKey = try table.string("merchant_private_key") ?? merchantPrivateKey
        platformPublicKey = try table.string("platform_public_key") ?? platformPublicKey
        apiV3Key = try table.string("apiv3_key") ?? apiV3Key
    }
}
