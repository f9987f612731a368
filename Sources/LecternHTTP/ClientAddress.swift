import Foundation

/// The key a client's requests are rate-limited under.
///
/// Behind a trusted proxy (`[daemon] trust_proxy`) it is the last `X-Forwarded-For` entry, the one the
/// proxy appended, and only if that entry is an IP address; anything else falls back to the socket's
/// peer. IPv6 clients are keyed by their /64, the block one subscriber normally holds: keyed by the
/// full address, one machine could rotate through 2^64 addresses and never meet its limit.
public enum ClientAddress {
    public static func key(forwardedFor: String?, peer: String?, trustProxy: Bool) -> String {
        if trustProxy, let forwardedFor, forwardedFor.utf8.count <= 4_096,
            let last = forwardedFor.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
            let key = key(ip: last)
        {
            return key
        }
        return peer.flatMap { key(ip: $0) } ?? "unknown"
    }

    /// "203.0.113.9" → "203.0.113.9"; "2001:db8:1:2:3:4:5:6" → "2001:db8:1:2::/64"; nil if not an IP.
    public static func key(ip text: String) -> String? {
        guard text.utf8.count <= 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return text }
        // "::ffff:203.0.113.9" is an IPv4 client on a dual-stack socket.
        if text.lowercased().hasPrefix("::ffff:"), inet_pton(AF_INET, String(text.dropFirst(7)), &v4) == 1 {
            return String(text.dropFirst(7))
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0.prefix(8)) }
        let groups = stride(from: 0, to: 8, by: 2).map {
            String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
        }
        return groups.joined(separator: ":") + "::/64"
    }

    /// The client's own address, chosen as `key` chooses it but whole (an IPv6 address, not its /64): what a
    /// payment provider asks for (WeChat Pay's `payer_client_ip`). nil when neither source is an IP address.
    public static func ip(forwardedFor: String?, peer: String?, trustProxy: Bool) -> String? {
        func whole(_ text: String) -> String? {
            // IPv4 (also when mapped into IPv6) is its own key; an IPv6 address's key is its /64.
            guard let key = key(ip: text) else { return nil }
            return key.hasSuffix("::/64") ? text : key
        }
        if trustProxy, let forwardedFor, forwardedFor.utf8.count <= 4_096,
            let last = forwardedFor.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
            let address = whole(last)
        {
            return address
        }
        return peer.flatMap(whole)
    }

    /// The network a client's key lies in, as the sharing signals keep it (never a whole address):
    /// "203.0.113.9" → "203.0.113.0/24"; "2001:db8:1:2::/64" → "2001:db8:1::/48"; anything else "unknown".
    public static func network(ofKey key: String) -> String {
        if key.hasSuffix("::/64") {
            let groups = key.dropLast(5).split(separator: ":")
            guard groups.count >= 3 else { return "unknown" }
            return groups.prefix(3).joined(separator: ":") + "::/48"
        }
        let octets = key.split(separator: ".")
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return "unknown" }
        return octets.prefix(3).joined(separator: ".") + ".0/24"
    }
}
