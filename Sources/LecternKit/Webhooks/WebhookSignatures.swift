import Crypto
import Foundation

/// Signature checks for each provider, over the raw request bytes, before anything is parsed.
/// Comparisons go through swift-crypto's constant-time `isValidAuthenticationCode`.
public enum WebhookSignatures {
    /// Seconds a signed timestamp may differ from our clock (Stripe's and Standard Webhooks' default).
    public static let tolerance = 300

    /// Stripe: `Stripe-Signature: t=…,v1=…[,v1=…]`, HMAC-SHA256 of "t.body" keyed with the whole
    /// `whsec_…` string. Any matching v1 is accepted (Stripe sends several during secret rotation).
    public static func verifyStripe(body: Data, header: String?, secret: String, now: Date = Date()) throws(HTTPProblem) {
        guard let header, !header.isEmpty else { throw .badSignature("missing Stripe-Signature header") }
        var timestamp: Int?
        var signatures: [Data] = []
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) }
            if pair[0] == "v1", let bytes = hexBytes(pair[1]) { signatures.append(bytes) }
        }
        guard let timestamp else { throw .badSignature("Stripe-Signature has no timestamp") }
        guard !signatures.isEmpty else { throw .badSignature("Stripe-Signature has no v1 signature") }
        let key = SymmetricKey(data: Data(secret.utf8))
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        guard signatures.contains(where: { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: signed, using: key) }) else {
            throw .badSignature("no v1 signature matches")
        }
        try checkTimestamp(timestamp, now: now)
    }

    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> …`;
    /// HMAC-SHA256 of "id.timestamp.body" keyed with the base64-decoded part of `whsec_…`.
    public static func verifyStandard(body: Data, id: String?, timestamp: String?, signature: String?,
                                      secret: String, now: Date = Date()) throws(HTTPProblem) {
        guard let id, !id.isEmpty, let timestamp, let signature else {
            throw .badSignature("missing webhook-id, webhook-timestamp or webhook-signature")
        }
        guard let seconds = Int(timestamp) else { throw .badSignature("webhook-timestamp is not a number") }
        let encodedKey = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let keyBytes = Data(base64Encoded: encodedKey) else {
            throw HTTPProblem(status: 500, code: "misconfigured", title: "Server misconfigured", detail: "the Standard Webhooks secret is not base64")
        }
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        let key = SymmetricKey(data: keyBytes)
        let candidates = signature.split(separator: " ").compactMap { part -> Data? in
            let pieces = part.split(separator: ",", maxSplits: 1)
            guard pieces.count == 2, pieces[0] == "v1" else { return nil }
            return Data(base64Encoded: String(pieces[1]))
        }
        guard candidates.contains(where: { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: signed, using: key) }) else {
            throw .badSignature("no v1 signature matches")
        }
        try checkTimestamp(seconds, now: now)
    }

    /// Lemon Squeezy: `X-Signature`, hex HMAC-SHA256 of the raw body keyed with the signing secret.
    public static func verifyLemonSqueezy(body: Data, signature: String?, secret: String) throws(HTTPProblem) {
        guard let signature, let bytes = hexBytes(signature) else { throw .badSignature("missing or non-hex X-Signature") }
        guard HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: body, using: SymmetricKey(data: Data(secret.utf8))) else {
            throw .badSignature("X-Signature does not match")
        }
    }

    private static func checkTimestamp(_ timestamp: Int, now: Date) throws(HTTPProblem) {
        let skew = abs(Int(now.timeIntervalSince1970) - timestamp)
        guard skew <= tolerance else {
            throw .staleTimestamp("signed \(skew) s from now; the tolerance is \(tolerance) s")
        }
    }

    static func hexBytes(_ text: String) -> Data? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0, !chars.isEmpty else { return nil }
        var out = Data(capacity: chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let high = hexValue(chars[i]), let low = hexValue(chars[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}
