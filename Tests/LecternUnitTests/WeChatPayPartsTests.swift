import Crypto
import CryptoExtras
import Foundation
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternConfig
@testable import LecternCore

/// WeChat Pay API v3's parts one by one: the signatures both ways, the notification's decryption and
/// reading, the QR code, the settings. The live suite (`DaemonWeChatPayTests`) runs them against wechatpayv3.
struct WeChatPayPartsTests {
    static let platform = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let apiV3 = SymmetricKey(data: Data("0123456789abcdefghijABCDEFGHIJ01".utf8))
    static let keyID = "PUB_KEY_ID_TEST"
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    /// What WeChat Pay would send: the resource sealed with the APIv3 key, the envelope signed.
    static func notification(
        _ type: String, _ resource: [String: Any], key: SymmetricKey = apiV3
    ) throws -> (body: Data, headers: [String: String]) {
        let nonce = "0123456789ab"
        let sealed = try AES.GCM.seal(
            try JSONSerialization.data(withJSONObject: resource), using: key,
            nonce: try AES.GCM.Nonce(data: Data(nonce.utf8)), authenticating: Data("transaction".utf8))
        let envelope: [String: Any] = [
            "id": "EV-1", "event_type": type, "resource_type": "encrypt-resource",
            "resource": [
                "algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": "transaction",
                "ciphertext": (sealed.ciphertext + sealed.tag).base64EncodedString(),
            ],
        ]
        let body = try JSONSerialization.data(withJSONObject: envelope)
        let timestamp = String(Int(now.timeIntervalSince1970))
        var message = Data("\(timestamp)\nNONCE\n".utf8)
        message.append(body)
        message.append(0x0A)
        let signature = try platform.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
        return (
            body,
            [
                "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": "NONCE", "Wechatpay-Serial": keyID,
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                "Wechatpay-Signature": signature.rawRepresentation.base64EncodedString(),
            ]
        )
    }

    static func read(
        _ message: (body: Data, headers: [String: String]), at time: Date = now
    ) throws(HTTPProblem)
        -> WeChatPayNotification
    {
        try WeChatPaySignature.verify(
            body: message.body, header: { message.headers[$0] }, keyID: keyID, key: platform.publicKey, now: time)
        return try WeChatPayNotification.parse(
            message.body, apiV3Key: apiV3, merchantID: "1900000109", appID: "wx8888888888888888")
    }

    static func status(_ body: () throws -> Void) -> Int? {
        do {
            try body()
            return nil
        } catch let problem as HTTPProblem { return problem.statusCode } catch { return -1 }
    }

    nonisolated(unsafe) static let paid: [String: Any] = [
        "mchid": "1900000109", "appid": "wx8888888888888888", "out_trade_no": "abc", "trade_state": "SUCCESS",
        "amount": ["total": 9_900, "currency": "CNY"],
    ]

    @Test func aNotificationIsReadOnlyWhenSignedSealedAndForThisMerchant() throws {
        let good = try Self.read(try Self.notification("TRANSACTION.SUCCESS", Self.paid))
        #expect(good.kind == .paid(amount: 9_900, currency: "CNY") && good.outTradeNo == "abc")

        var message = try Self.notification("TRANSACTION.SUCCESS", Self.paid)
        message.body.append(0x20)
        #expect(Self.status { _ = try Self.read(message) } == 401)
        for (header, value) in [
            ("Wechatpay-Serial", "PUB_KEY_ID_OTHER"), ("Wechatpay-Signature-Type", "WECHATPAY2-SM2-WITH-SM3"),
            ("Wechatpay-Signature", "!!"),
        ] {
            var changed = try Self.notification("TRANSACTION.SUCCESS", Self.paid)
            changed.headers[header] = value
            #expect(Self.status { _ = try Self.read(changed) } == 401, "\(header)")
        }
        // Replayed later, or from a clock far off: refused.
        let replay = try Self.notification("TRANSACTION.SUCCESS", Self.paid)
        #expect(Self.status { _ = try Self.read(replay, at: Self.now.addingTimeInterval(301)) } == 400)
        #expect(Self.status { _ = try Self.read(replay, at: Self.now.addingTimeInterval(-299)) } == nil)
        // Sealed with another APIv3 key; another merchant's; another app's.
        let otherKey = try Self.notification("TRANSACTION.SUCCESS", Self.paid, key: SymmetricKey(size: .bits256))
        #expect(Self.status { _ = try Self.read(otherKey) } == 401)
        for (field, value) in [("mchid", "1900000999"), ("appid", "wx0000000000000000")] {
            var resource = Self.paid
            resource[field] = value
            #expect(Self.status { _ = try Self.read(try Self.notification("TRANSACTION.SUCCESS", resource)) } == 401)
        }
    }

    @Test func eventsRefundsAndHostileAmounts() throws {
        func event(_ type: String, _ resource: [String: Any]) throws -> PaymentEvent {
            let email = try #require(EmailAddress("li@example.com"))
            return try Self.read(try Self.notification(type, resource)).event(
                checkout: (email, "course", Money(minorUnits: 9_900, currency: "CNY")))
        }
        let paid = try event("TRANSACTION.SUCCESS", Self.paid)
        #expect(paid.eventID == "paid:abc" && paid.provider == .wechatpay)
        let refund: [String: Any] = [
            "mchid": "1900000109", "out_trade_no": "abc", "out_refund_no": "r1", "refund_status": "SUCCESS",
            "amount": ["total": 9_900, "refund": 3_000],
        ]
        let part = try event("REFUND.SUCCESS", refund)
        #expect(part.action == .refundedPart(paymentRef: "abc", amount: 3_000, runningTotal: false))
        #expect(part.eventID == "refund:abc:r1")
        var whole = refund
        whole["amount"] = ["total": 9_900, "refund": 9_900]
        #expect(try event("REFUND.SUCCESS", whole).action == .refunded(paymentRef: "abc"))
        var abnormal = refund
        abnormal["refund_status"] = "ABNORMAL"
        #expect(try event("REFUND.ABNORMAL", abnormal).action == .ignored)
        #expect(try event("TRANSACTION.CLOSED", Self.paid).action == .ignored)
        for amount: Any in [-1, 10_000_000_001, "99.00", 99.5, Int64.max, true] {
            var hostile = Self.paid
            hostile["amount"] = ["total": amount, "currency": "CNY"]
            #expect(Self.status { _ = try event("TRANSACTION.SUCCESS", hostile) } == 400, "\(amount)")
        }
        #expect(
            Self.status {
                _ = try Self.read(try Self.notification("TRANSACTION.SUCCESS", Self.paid)).event(checkout: nil)
            }
                == 400)
    }

    @Test func theOrderRequestIsSignedAsTheAPIChecksIt() throws {
        let merchant = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let header = try WeChatPaySignature.authorization(
            method: "POST", path: "/v3/pay/transactions/native", body: "{\"a\":1}", merchantID: "1900000109",
            serialNumber: "5157F0", key: merchant, timestamp: 1_795_000_000, nonce: "N1")
        #expect(header.hasPrefix("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000109\",nonce_str=\"N1\",signature=\""))
        #expect(header.hasSuffix(",timestamp=\"1795000000\",serial_no=\"5157F0\""))
        let signature = try #require(
            header.split(separator: "\"").dropFirst(5).first.flatMap { Data(base64Encoded: String($0)) })
        let message = "POST\n/v3/pay/transactions/native\n1795000000\nN1\n{\"a\":1}\n"
        #expect(
            merchant.publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: Data(message.utf8)),
                padding: .insecurePKCS1v1_5))
        #expect(WeChatPaySignature.nonce().count == 32 && WeChatPaySignature.nonce() != WeChatPaySignature.nonce())
    }

    @Test func theQRCodeIsDrawnHereAndTooLongTextIsRefused() throws {
        let image = try #require(QRCodeImage.svgDataURL(for: "weixin://wxpay/bizpayurl?pr=abc1234"))
        let prefix = "data:image/svg+xml;base64,"
        #expect(image.hasPrefix(prefix))
        let svg = String(
            decoding: try #require(Data(base64Encoded: String(image.dropFirst(prefix.count)))), as: UTF8.self)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ") && svg.contains("h1v1h-1z"))
        #expect(QRCodeImage.svgDataURL(for: String(repeating: "x", count: 8_000)) == nil)
    }

    @Test func weChatPaySettingsAreCheckedWithTheirLine() throws {
        let root = URL(fileURLWithPath: "/tmp")
        let good = """
            [wechatpay]
            mchid = "1900000109"
            appid = "wx8888888888888888"
            merchant_serial_no = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
            platform_key_id = "PUB_KEY_ID_0114"

            """
        let config = try SiteConfig.parse(good, root: root)
        #expect(config.weChatPay?.api == WeChatPaySettings.productionAPI)
        #expect(config.weChatPay?.apiV3Key == "keys/wechatpay-apiv3.key")
        for (find, replace) in [
            ("mchid = \"1900000109\"", "mchid = \"19x\""), ("wx8888888888888888", "8888"),
            ("merchant_serial_no = \"5157F09EFDC096DE15EBE81A47057A7232F1B8E1\"", ""),
            ("PUB_KEY_ID_0114\"", "PUB KEY\""), ("[wechatpay]", "[wechatpay]\napi = \"https://x/v3?a\""),
        ] {
            let bad = good.replacingOccurrences(of: find, with: replace)
            let error = try #require(throws: LecternError.self, "\(replace)") { try SiteConfig.parse(bad, root: root) }
            #expect(error.line != nil, "\(replace)")
        }
    }
}
