import Crypto
import CryptoExtras
import Foundation
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternConfig
@testable import LecternCore

/// The parts of lecternd's own checkouts (Alipay) one by one: the signed string, the notification's reading,
/// the key files a creator brings. The live suite (`DaemonAlipayTests`) runs them against python-alipay-sdk.
struct ChinaPaymentPartsTests {
    static let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static func signed(_ fields: [String: String]) throws -> [String: String] {
        var fields = fields
        fields["sign"] = try AlipaySignature.sign(
            AlipaySignature.content(of: fields, excluding: ["sign", "sign_type"]), with: key)
        fields["sign_type"] = "RSA2"
        return fields
    }

    static func body(_ fields: [String: String]) -> Data {
        Data(fields.map { "\($0)=\(AlipayAccount.percentEncoded($1))" }.joined(separator: "&").utf8)
    }

    static let paid = [
        "app_id": "2021000000000001", "out_trade_no": "abc", "trade_status": "TRADE_SUCCESS",
        "total_amount": "99.00", "subject": "写作 & 变现", "trade_no": "2026",
    ]

    @Test func theSignedStringIsSortedByteWiseWithoutSignAndEmptyValues() {
        let content = AlipaySignature.content(
            of: ["b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "empty": "", "B": "3"],
            excluding: ["sign", "sign_type"])
        #expect(content == "B=3&a=1&b=2")
        #expect(
            AlipaySignature.content(of: ["b": "", "a": "1"], excluding: [], skippingEmpty: false) == "a=1&b=")
    }

    @Test func aNotificationIsReadOnlyWhenAlipaysKeySignedItForThisApp() throws {
        let public_ = Self.key.publicKey
        let good = try AlipayNotification.parse(
            Self.body(try Self.signed(Self.paid)), appID: "2021000000000001", key: public_)
        #expect(good.kind == .paid && good.totalAmount == Money(minorUnits: 9_900, currency: "CNY"))
        // A signature over fields that an empty one was added to, as some libraries sign, verifies too.
        var withEmpty = Self.paid
        withEmpty["passback_params"] = ""
        var signedWithEmpty = withEmpty
        signedWithEmpty["sign"] = try AlipaySignature.sign(
            AlipaySignature.content(of: withEmpty, excluding: [], skippingEmpty: false), with: Self.key)
        #expect(throws: Never.self) {
            try AlipayNotification.parse(Self.body(signedWithEmpty), appID: "2021000000000001", key: public_)
        }

        func status(_ body: Data, appID: String = "2021000000000001") -> Int? {
            do {
                _ = try AlipayNotification.parse(body, appID: appID, key: public_)
                return nil
            } catch { return error.statusCode }
        }
        var changed = try Self.signed(Self.paid)
        changed["total_amount"] = "0.01"
        #expect(status(Self.body(changed)) == 401)
        #expect(status(Self.body(try Self.signed(Self.paid)), appID: "2021000000000002") == 401)
        var rsa1 = try Self.signed(Self.paid)
        rsa1["sign_type"] = "RSA"
        #expect(status(Self.body(rsa1)) == 401)
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        var foreign = Self.paid
        foreign["sign"] = try AlipaySignature.sign(AlipaySignature.content(of: foreign, excluding: []), with: other)
        #expect(status(Self.body(foreign)) == 401)
        // Not a form, a field twice (which one was signed?), too many fields, no signature.
        #expect(status(Data([0xFF, 0xFE])) == 400)
        #expect(status(Data("app_id=1&app_id=2&sign=x".utf8)) == 400)
        #expect(status(Data((0...100).map { "f\($0)=1" }.joined(separator: "&").utf8)) == 400)
        #expect(status(Self.body(Self.paid)) == 401)
    }

    @Test func statusesAndRefundTotalsBecomeTheRightEvents() throws {
        func event(_ extra: [String: String]) throws -> PaymentEvent {
            let email = try #require(EmailAddress("li@example.com"))
            return try AlipayNotification.interpret(Self.paid.merging(extra) { $1 }).event(
                checkout: (email, "course", Money(minorUnits: 9_900, currency: "CNY")))
        }
        let paid = try event([:])
        #expect(paid.eventID == "paid:abc")
        guard case .paid(let payment) = paid.action else {
            Issue.record("not paid")
            return
        }
        #expect(payment.amount == 9_900 && payment.currency == "CNY" && payment.quotedPrice?.minorUnits == 9_900)
        #expect(try event(["trade_status": "TRADE_FINISHED"]).eventID == "paid:abc")
        #expect(
            try event(["refund_fee": "30.00", "out_biz_no": "r1"]).action
                == .refundedPart(paymentRef: "abc", amount: 3_000, runningTotal: true))
        #expect(try event(["refund_fee": "99.00", "out_biz_no": "r2"]).action == .refunded(paymentRef: "abc"))
        #expect(
            try event(["refund_fee": "1.00", "trade_status": "TRADE_CLOSED", "out_biz_no": "r3"]).action
                == .refunded(paymentRef: "abc"))
        #expect(try event(["trade_status": "TRADE_CLOSED"]).action == .ignored)
        #expect(try event(["trade_status": "WAIT_BUYER_PAY"]).action == .ignored)
        for bad in [
            ["trade_status": "TRADE_PENDING"], ["total_amount": "99.001"], ["total_amount": "-1"],
            ["total_amount": "99999999999999.00"], ["refund_fee": "abc"], ["out_trade_no": ""],
            ["out_trade_no": String(repeating: "9", count: 129)],
        ] {
            #expect(throws: HTTPProblem.self, "\(bad)") { try event(bad) }
        }
        // A payment needs the order lecternd placed: a notification alone names no buyer.
        #expect(throws: HTTPProblem.self) { try AlipayNotification.interpret(Self.paid).event(checkout: nil) }
    }

    @Test func theOrderIsShapedAsAlipaysGatewayRequiresIt() {
        #expect(AlipayAccount.subject("A/B = C & D\u{0007}") == "A B   C   D ")
        #expect(AlipayAccount.subject(String(repeating: "课", count: 300)).count == 128)
        #expect(AlipayAccount.beijingTime(Date(timeIntervalSince1970: 1_795_000_000)) == "2026-11-18 19:06:40")
        #expect(AlipayAccount.percentEncoded("a b+c&d=写") == "a%20b%2Bc%26d%3D%E5%86%99")
        #expect(FormFields.parseStrict("a=1&b=&c", maximumFields: 3) == ["a": "1", "b": "", "c": ""])
        #expect(FormFields.parseStrict("a=%E5%86", maximumFields: 3) == nil)
    }

    @Test func keyFilesInEveryShapeACreatorBringsAndNoneOthersCanRead() throws {
        let site = try TempSite()
        let folder = site.root.appendingPathComponent("keys")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            return path
        }
        let bare = Self.key.pkcs8DERRepresentation.base64EncodedString()
        for (name, text) in [
            ("pkcs1.pem", Self.key.pemRepresentation), ("pkcs8.pem", Self.key.pkcs8PEMRepresentation),
            ("bare.txt", bare),
        ] {
            let key = try RSAKeyFile.privateKey(at: try write(name, text), for: "Alipay app")
            #expect(key.publicKey.derRepresentation == Self.key.publicKey.derRepresentation, "\(name)")
        }
        let shared = try write("shared.pem", Self.key.pemRepresentation, mode: 0o644)
        let error = try #require(throws: LecternError.self) { try RSAKeyFile.privateKey(at: shared, for: "Alipay app") }
        #expect(error.hint?.contains("chmod 600") == true)
        let publicBare = Self.key.publicKey.derRepresentation.base64EncodedString()
        #expect(
            try RSAKeyFile.publicKey(at: try write("alipay.txt", publicBare, mode: 0o644), for: "Alipay")
                .derRepresentation
                == Self.key.publicKey.derRepresentation)
        let certificate = try write("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        let certError = try #require(throws: LecternError.self) { try RSAKeyFile.publicKey(at: certificate, for: "X") }
        #expect(certError.hint?.contains("openssl x509 -pubkey") == true)
        #expect(throws: LecternError.self) { try RSAKeyFile.publicKey(at: try write("junk", "hello"), for: "X") }
    }

    @Test func alipaySettingsAreCheckedWithTheirLine() throws {
        let root = URL(fileURLWithPath: "/tmp")
        let config = try SiteConfig.parse("[alipay]\napp_id = \"2021000000000001\"\n", root: root)
        #expect(config.alipay?.gateway == AlipaySettings.productionGateway)
        for bad in [
            "[alipay]\ngateway = \"https://x\"\n", "[alipay]\napp_id = \"20x\"\n",
            "[alipay]\napp_id = \"1\"\ngateway = \"ftp://x/?a=1\"\n", "[alipay]\napp_id = \"1\"\nkey = \"x\"\n",
        ] {
            let error = try #require(throws: LecternError.self, "\(bad)") { try SiteConfig.parse(bad, root: root) }
            #expect(error.line != nil, "\(bad)")
        }
    }
}
