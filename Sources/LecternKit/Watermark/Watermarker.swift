import Foundation

/// Produces one buyer's copy of a paid page: the visible licence stamp in the layout's slot and the
/// invisible mark in the lesson text. Serving is splicing into offsets prepared at build time.
public struct Watermarker: Sendable {
    private let fingerprint: Fingerprint

    public init(fingerprint: Fingerprint) { self.fingerprint = fingerprint }

    /// The 16 chunks for a grant; the daemon caches them per grant.
    public func chunks(grant: UInt32) -> [String] {
        InvisibleMarkCodec.chunks(for: fingerprint.mark(grant: grant))
    }

    /// "Licensed to ada@example.com · order 1042", HTML-escaped for the stamp slot.
    public static func stamp(email: String, order: String) -> String {
        "Licensed to \(escape(email)) · order \(escape(order))"
    }

    public func render(_ page: PaidPage, grant: UInt32, email: String, order: String) -> String {
        let chunks = chunks(grant: grant)
        return page.splice(stamp: Self.stamp(email: email, order: order)) { chunks[$0 % InvisibleMarkCodec.chunkCount] }
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for char in text {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(char)
            }
        }
        return out
    }
}
