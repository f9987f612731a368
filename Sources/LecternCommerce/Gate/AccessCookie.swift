import Crypto
import Foundation
import LecternCore

/// The cookie a signed link is exchanged for: `lectern_access=v2.<grant>.<expiry>.<session>.<mac>`, one per
/// course (`Path=/learn/<course>/`); `session` names this browser's sign-in (`DeviceSessions`), empty in a
/// `v1` cookie (issued before sessions, accepted until it expires). The MAC is HMAC-SHA256 over version,
/// course, grant, expiry and session with a key derived from the site's watermark secret, so a cookie
/// cannot be moved to another course or browser session, or extended. Checking it costs one HMAC, where a
/// token costs an Ed25519 verification (~100x more); the grant itself is still checked in SQLite on every
/// request, so a refund takes effect at once.
public struct AccessCookie: Sendable {
    public static let name = "lectern_access"

    public struct Value: Sendable, Equatable {
        public var grant: Int64
        /// Seconds since 1970 after which the access must be renewed with a fresh link.
        public var expiresAt: Int
        public var session: String = ""

        public init(grant: Int64, expiresAt: Int, session: String = "") {
            (self.grant, self.expiresAt, self.session) = (grant, expiresAt, session)
        }
    }

    public enum Check: Sendable, Equatable {
        case valid(Value)
        case expired(Value)
        /// Absent, forged, for another course, or not ours: treated as no cookie at all.
        case invalid
    }

    private let key: SymmetricKey
    /// Cookies already verified, by course and text: a reader sends the same cookie with every page.
    private let verified = Locked<[String: Value]>([:])

    public init(secret: SymmetricKey) {
        key = SymmetricKey(
            data: HMAC<SHA256>.authenticationCode(for: Data("lectern access cookie v1".utf8), using: secret))
    }

    public func encode(_ value: Value, course: String) -> String {
        let tag = Base64URL.encode(Data(mac(value, course: course)))
        return value.session.isEmpty
            ? "v1.\(value.grant).\(value.expiresAt).\(tag)"
            : "v2.\(value.grant).\(value.expiresAt).\(value.session).\(tag)"
    }

    public func check(_ text: String?, course: String, now: Date = Date()) -> Check {
        guard let text, text.utf8.count <= 200 else { return .invalid }
        let cacheKey = course + "|" + text
        if let value = verified.withLock({ $0[cacheKey] }) {
            return value.expiresAt > Int(now.timeIntervalSince1970) ? .valid(value) : .expired(value)
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 && parts[0] == "v1" || parts.count == 5 && parts[0] == "v2",
            let grant = Int64(parts[1]), grant > 0, let expiry = Int(parts[2]),
            TokenVerifier.validTimes.contains(expiry), let tag = Base64URL.decode(parts[parts.count - 1])
        else { return .invalid }
        let session = parts.count == 5 ? String(parts[3]) : ""
        guard parts.count == 4 || DeviceSessions.isWellFormed(session) else { return .invalid }
        let value = Value(grant: grant, expiresAt: expiry, session: session)
        guard HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: message(value, course: course), using: key)
        else {
            return .invalid
        }
        verified.withLock { cache in
            if cache.count >= 100_000 { cache.removeAll() }
            cache[cacheKey] = value
        }
        return expiry > Int(now.timeIntervalSince1970) ? .valid(value) : .expired(value)
    }

    /// The value of the request's `Cookie` header for `lectern_access` (the most specific path first,
    /// which is how browsers order them).
    public static func find(in cookieHeader: String?) -> String? {
        guard let cookieHeader else { return nil }
        // By bytes: Foundation's trimming on every request was 6 % of a paid page's CPU.
        for pair in cookieHeader.utf8.split(separator: UInt8(ascii: ";")) {
            let trimmed = pair.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            if trimmed.starts(with: prefix) { return String(decoding: trimmed.dropFirst(prefix.count), as: UTF8.self) }
        }
        return nil
    }

    private static let prefix = Array((name + "=").utf8)

    private func message(_ value: Value, course: String) -> Data {
        value.session.isEmpty
            ? Data("v1|\(course)|\(value.grant)|\(value.expiresAt)".utf8)
            : Data("v2|\(course)|\(value.grant)|\(value.expiresAt)|\(value.session)".utf8)
    }

    private func mac(_ value: Value, course: String) -> HMAC<SHA256>.MAC {
        HMAC<SHA256>.authenticationCode(for: message(value, course: course), using: key)
    }
}

extension Gate.IssuedCookie {
    /// The `Set-Cookie` value: HttpOnly (no script reads it; all but the library's marker), SameSite=Lax
    /// (sent when the reader follows a link from the e-mail, not on cross-site subrequests), scoped to the
    /// course's paid path (or the site, for the library), and `Secure` unless the site runs on plain-HTTP
    /// localhost.
    public func header(secure: Bool) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(maxAge)\(httpOnly ? "; HttpOnly" : ""); SameSite=Lax"
            + (secure ? "; Secure" : "")
    }
}
