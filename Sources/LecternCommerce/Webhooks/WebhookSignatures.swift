import Crypto
import Foundation
import LecternCore

/// Signature checks for each provider, over the raw request bytes, before anything is parsed.
/// Comparisons go through swift-crypto's constant-time `isValidAuthenticationCode`.
public enum WebhookSignatures {
    /// Seconds a signed timestamp may differ from our clock (Stripe's and Standard Webhooks' default).
    public static let tolerance = 300

    /// Signature candidates looked at per request. Providers send one (two while a secret rotates);
    /// without a cap, hundreds of bogus candidates on a large body each cost a full HMAC.
    public static let maximumCandidates = 8

    /// Stripe: `Stripe-Signature: t=…,v1=…[,v1=…]`, HMAC-SHA256 of "t.body" keyed with the whole
    /// `whsec_…` string. Any matching v1 is accepted (Stripe sends several during secret rotation).
    /// The cheap checks come first (timestamp window, candidate count); the MAC is computed once.
    public static func verifyStripe(body: Data, header: String?, secret: String, now: Date = Date()) throws(HTTPProblem)
    {
        guard let header, !header.isEmpty else { throw .badSignature("missing Stripe-Signature header") }
        guard header.utf8.count <= 4_096 else { throw .badSignature("Stripe-Signature is too long") }
        var timestamp: Substring?
        var signatures: [Data] = []
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Substring(pair[1]) }
            if pair[0] == "v1", let bytes = hexBytes(pair[1]) { signatures.append(bytes) }
        }
        guard let timestamp else { throw .badSignature("Stripe-Signature has no timestamp") }
        try checkTimestamp(timestamp, now: now)
        guard !signatures.isEmpty else { throw .badSignature("Stripe-Signature has no v1 signature") }
        guard signatures.count <= maximumCandidates else {
            throw .badSignature("more than \(maximumCandidates) v1 signatures")
        }
        var signed = Data(timestamp.utf8)
        signed.append(UInt8(ascii: "."))
        signed.append(body)
        try requireMatch(signatures, over: signed, key: SymmetricKey(data: Data(secret.utf8)))
    }

    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> …`;
    /// HMAC-SHA256 of "id.timestamp.body" keyed with the base64-decoded part of `whsec_…`.
    public static func verifyStandard(
        body: Data, id: String?, timestamp: String?, signature: String?,
        secret: String, now: Date = Date()
    ) throws(HTTPProblem) {
        guard let id, !id.isEmpty, let timestamp, let signature else {
            throw .badSignature("missing webhook-id, webhook-timestamp or webhook-signature")
        }
        guard id.utf8.count <= 256, signature.utf8.count <= 4_096 else {
            throw .badSignature("webhook-id or webhook-signature is too long")
        }
        try checkTimestamp(Substring(timestamp), now: now)
        guard let keyBytes = standardKey(secret) else {
            throw HTTPProblem(
                status: 500, kind: .misconfigured, title: "Server misconfigured",
                detail: "the Standard Webhooks secret is not base64")
        }
        let candidates = signature.split(separator: " ").compactMap { part -> Data? in
            let pieces = part.split(separator: ",", maxSplits: 1)
            guard pieces.count == 2, pieces[0] == "v1" else { return nil }
            return Data(base64Encoded: String(pieces[1]))
        }
        guard !candidates.isEmpty else { throw .badSignature("no v1 signature") }
        guard candidates.count <= maximumCandidates else {
            throw .badSignature("more than \(maximumCandidates) v1 signatures")
        }
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        try requireMatch(candidates, over: signed, key: SymmetricKey(data: keyBytes))
    }

    /// The key of a Standard Webhooks secret: the base64 after `whsec_`, with or without its `=` padding (the
    /// reference libraries accept both); nil when it is not base64. lecternd checks it at start.
    public static func standardKey(_ secret: String) -> Data? {
        var encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard !encoded.isEmpty, encoded.utf8.count <= 1_024 else { return nil }
        if !encoded.hasSuffix("=") { encoded += String(repeating: "=", count: (4 - encoded.utf8.count % 4) % 4) }
        return Data(base64Encoded: encoded)
    }

    /// Lemon Squeezy: `X-Signature`, hex HMAC-SHA256 of the raw body keyed with the signing secret.
    public static func verifyLemonSqueezy(body: Data, signature: String?, secret: String) throws(HTTPProblem) {
        guard let signature, signature.utf8.count <= 256, let bytes = hexBytes(signature) else {
            throw .badSignature("missing or non-hex X-Signature")
        }
        try requireMatch([bytes], over: body, key: SymmetricKey(data: Data(secret.utf8)))
    }

    /// One HMAC over the signed bytes, compared with each candidate in constant time (swift-crypto's
    /// `==` between a MAC and bytes).
    private static func requireMatch(_ candidates: [Data], over signed: Data, key: SymmetricKey) throws(HTTPProblem) {
        let expected = HMAC<SHA256>.authenticationCode(for: signed, using: key)
        guard candidates.contains(where: { expected == $0 }) else { throw .badSignature("no v1 signature matches") }
    }

    /// A signed timestamp: decimal seconds within `tolerance` of our clock. The window is computed from
    /// our clock alone, so no arithmetic ever touches the sender's number (`abs(now - Int64.min)` used
    /// to trap and end the daemon).
    static func checkTimestamp(_ text: Substring, now: Date) throws(HTTPProblem) {
        guard text.utf8.count <= 12, text.isASCIIDigits,
            let seconds = Int(text)
        else {
            throw .badSignature("the signed timestamp is not a number of seconds")
        }
        let current = Int(now.timeIntervalSince1970)
        guard (current - tolerance...current + tolerance).contains(seconds) else {
            throw .staleTimestamp("signed at \(seconds), more than \(tolerance) s from now (\(current))")
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
