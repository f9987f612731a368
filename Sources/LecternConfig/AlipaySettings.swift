import Foundation
import LecternCore

/// `[alipay]` in `lectern.toml`: the creator's Alipay open-platform app (电脑网站支付 / 手机网站支付).
/// Present means "sell CNY courses through Alipay": course pages get the 支付宝支付 button and lecternd
/// places the orders. The keys are files (the private one 0600), never values in this file.
public struct AlipaySettings: Sendable, Equatable {
    public static let productionGateway = "https://openapi.alipay.com/gateway.do"

    /// The app's id on open.alipay.com (digits).
    public var appID: String
    /// Where the buyer's browser is sent; the sandbox's is
    /// `https://openapi-sandbox.dl.alipaydev.com/gateway.do`.
    public var gateway = productionGateway
    /// The app private key (PKCS#1 or PKCS#8, PEM or the bare base64 Alipay's key tool writes), relative
    /// to the site root: signs each order.
    public var appPrivateKey = "keys/alipay-app-private-key.pem"
    /// Alipay's public key (from the app's 接口加签方式 page): verifies every notification.
    public var alipayPublicKey = "keys/alipay-public-key.pem"

    public init(appID: String) { self.appID = appID }

    /// `headerLine`: the `[alipay]` line, where a missing key is reported.
    init(_ table: SettingsTable, headerLine: Int?) throws {
        try table.rejectUnknownKeys(
            allowed: ["app_id", "gateway", "app_private_key", "alipay_public_key"], section: "alipay")
        guard let appID = try table.string("app_id") else {
            throw LecternError(
                table.step, file: table.file, line: headerLine ?? 1, "`[alipay]` has no `app_id`",
                hint: "copy the APPID of your app from open.alipay.com, e.g. app_id = \"2021004100000000\"")
        }
        guard (1...32).contains(appID.count), appID.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw table.error("app_id", "`alipay.app_id` must be the app's digits, got \"\(appID)\"")
        }
        self.appID = appID
        if let gateway = try table.string("gateway") {
            guard let url = URL(string: gateway), ["https", "http"].contains(url.scheme ?? ""), url.host != nil,
                url.query == nil, url.fragment == nil
            else {
                throw table.error(
                    "gateway", "`alipay.gateway` must be an absolute URL without a query, got \"\(gateway)\"",
                    hint: "leave it out for \(Self.productionGateway)")
            }
            self.gateway = gateway
        }
        appPrivateKey = try table.string("app_private_key") ?? appPrivateKey
        alipayPublicKey = try table.string("alipay_public_key") ?? alipayPublicKey
    }
}
