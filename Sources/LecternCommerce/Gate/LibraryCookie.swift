import Crypto
import Foundation
import LecternCore

/// The buyer's sign-in for the whole site: `lectern_library=v2.<buyer>.<expiry>.<session>.<mac>` (`Path=/`,
/// HttpOnly), set beside the course cookies by every sign-in; `session` names this browser's sign-in
/// (`DeviceSessions`; empty in a `v1` cookie, issued before sessions). With it, a course the buyer owns opens on
/// this device without a link of its own, and `/library/` lists what they own. The MAC (HMAC-SHA256, a key
/// derived from the watermark secret apart from the course cookies') binds buyer and expiry; every use
/// still reads the buyer's live grants, so a refund shuts the door at once.
///
/// `lectern_signed_in=1` goes with it, readable by the page's script (it holds nothing): only a browser that
/// has it asks `/access/library.json` who owns the page it shows.
public struct LibraryCookie: Sendable {
    public static let name = "lectern_library"
    public static let markerName = "lectern_signed_in"

    public struct Value: Sendable, Equatable {
        public var buyer: Int64
        public var expiresAt: Int
        public var session: String

        public init(buyer: Int64, expiresAt: Int, session: String) {
            (self.buyer, self.expiresAt, self.session) = (buyer, expiresAt, session)
        }
    }

    private let key: SymmetricKey

    public init(secret: SymmetricKey) {
        key = SymmetricKey(
            data: HMAC<SHA256>.authenticationCode(for: Data("lectern library cookie v1".utf8), using: secret))
    }

    public func encode(_ value: Value) -> String {
        let tag = HMAC<SHA256>.authenticationCode(for: message(value), using: key)
        let mac = Base64URL.encode(Data(tag))
        return value.session.isEmpty
            ? "v1.\(value.buyer).\(value.expiresAt).\(mac)"
            : "v2.\(value.buyer).\(value.expiresAt).\(value.session).\(mac)"
    }

    /// The cookie's value when it is ours, intact and not expired; nil for anything else.
    public func value(_ text: String?, now: Date = Date()) -> Value? {
        guard let text, text.utf8.count <= 200 else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 && parts[0] == "v1" || parts.count == 5 && parts[0] == "v2",
            let buyer = Int64(parts[1]), buyer > 0, let expiry = Int(parts[2]),
            TokenVerifier.validTimes.contains(expiry), expiry > Int(now.timeIntervalSince1970),
            let tag = Base64URL.decode(parts[parts.count - 1])
        else { return nil }
        let session = parts.count == 5 ? String(parts[3]) : ""
        guard session.isEmpty ? parts.count == 4 : DeviceSessions.isWellFormed(session) else { return nil }
        let value = Value(buyer: buyer, expiresAt: expiry, session: session)
        return HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: message(value), using: key) ? value : nil
    }

    /// The buyer, when the cookie is ours, intact and not expired.
    public func buyer(_ text: String?, now: Date = Date()) -> Int64? { value(text, now: now)?.buyer }

    /// The value of `name` in a `Cookie` header.
    public static func find(_ name: String, in cookieHeader: String?) -> String? {
        guard let cookieHeader else { return nil }
        let prefix = name + "="
        for pair in cookieHeader.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(prefix) { return String(trimmed.dropFirst(prefix.count)) }
        }
        return nil
    }

    private func message(_ value: Value) -> Data {
        value.session.isEmpty
            ? Data("v1|library|\(value.buyer)|\(value.expiresAt)".utf8)
            : Data("v2|library|\(value.buyer)|\(value.expiresAt)|\(value.session)".utf8)
    }
}
