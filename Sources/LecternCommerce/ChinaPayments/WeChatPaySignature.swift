import Crypto
import CryptoExtras
import Foundation
import LecternCore

/// WeChat Pay API v3's signatures, SHA256withRSA (PKCS #1 v1.5), base64. A request lecternd sends is signed
/// with the merchant key over `METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n` and named in `Authorization`; an
/// answer or notification is signed by WeChat Pay over `TIMESTAMP\nNONCE\nBODY\n` (`Wechatpay-*` headers).
enum WeChatPaySignature {
    static let scheme = "WECHATPAY2-SHA256-RSA2048"
    /// Seconds an answer's or a notification's timestamp may be off: a replayed old one is refused.
    static let tolerance: TimeInterval = 300

    static func authorization(
        method: String, path: String, body: String, merchantID: String, serialNumber: String,
        key: _RSA.Signing.PrivateKey, timestamp: Int, nonce: String
    ) throws -> String {
        let message = "\(method)\n\(path)\n\(timestamp)\n\(nonce)\n\(body)\n"
        let signature = try key.signature(for: SHA256.hash(data: Data(message.utf8)), padding: .insecurePKCS1v1_5)
        return "\(scheme) mchid=\"\(merchantID)\",nonce_str=\"\(nonce)\","
            + "signature=\"\(signature.rawRepresentation.base64EncodedString())\","
            + "timestamp=\"\(timestamp)\",serial_no=\"\(serialNumber)\""
    }

    /// A fresh nonce: 32 characters from 16 random bytes.
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02X", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The `Wechatpay-*` headers of an answer or a notification, checked: the key id WeChat Pay names must be
    /// the configured one, the time within `tolerance`, the signature WeChat Pay's over these bytes.
    static func verify(
        body: Data, header: (String) -> String?, keyID: String, key: _RSA.Signing.PublicKey, now: Date
    ) throws(HTTPProblem) {
        guard let text = header("Wechatpay-Signature"), text.utf8.count <= 2_048,
            let signature = Data(base64Encoded: text), let timestampText = header("Wechatpay-Timestamp"),
            let nonce = header("Wechatpay-Nonce"), nonce.utf8.count <= 128
        else { throw .badSignature("missing `Wechatpay-Signature`, `Wechatpay-Timestamp` or `Wechatpay-Nonce`") }
        if let type = header("Wechatpay-Signature-Type"), type != scheme {
            throw .badSignature("`Wechatpay-Signature-Type` \(type): only \(scheme) is accepted")
        }
        guard header("Wechatpay-Serial") == keyID else {
            throw .badSignature("`Wechatpay-Serial` is not the configured `[wechatpay] platform_key_id`")
        }
        guard timestampText.utf8.count <= 12, let seconds = Int(timestampText),
            abs(TimeInterval(seconds) - now.timeIntervalSince1970) <= tolerance
        else {
            throw .staleTimestamp("`Wechatpay-Timestamp` is more than \(Int(tolerance)) s from this server's clock")
        }
        var message = Data("\(timestampText)\n\(nonce)\n".utf8)
        message.append(body)
        message.append(0x0A)
        let valid = key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: message),
            padding: .insecurePKCS1v1_5)
        guard valid else { throw .badSignature("not signed by the configured WeChat Pay public key") }
    }
}
