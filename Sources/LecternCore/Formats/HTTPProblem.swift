import Foundation

/// An HTTP error answer as RFC 9457 problem details. Library code throws it where it knows the status;
/// the server renders it as `application/problem+json`.
public struct HTTPProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var statusCode: Int
    /// Short, stable summary for the status ("Bad signature").
    public var title: String
    /// What exactly was wrong with this request. Never contains secrets, tokens or the request body.
    public var detail: String
    /// A stable machine-readable name, used as the `type` URI's last segment.
    public var kind: Kind
    /// Extension members (RFC 9457 §3.2) such as `buy_url` or `resend_url`: where a client goes next.
    public var extensions: [String: String]
    /// Why, for the operator's log only (never sent): the store's error behind a 503, say.
    public var cause: String?

    public init(status: Int, kind: Kind, title: String, detail: String, extensions: [String: String] = [:]) {
        self.statusCode = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.extensions = extensions
    }

    public var description: String { "\(statusCode) \(title): \(detail)" }

    public func json() -> Data {
        var object: [String: Any] = extensions
        object.merge([
            "type": "https://lectern.dev/problems/\(kind.rawValue)", "title": title, "status": statusCode,
            "detail": detail,
        ]) { $1 }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
    }

    public static func malformed(_ detail: String) -> HTTPProblem {
        HTTPProblem(status: 400, kind: .malformed, title: "Malformed request", detail: detail)
    }
    public static func badSignature(_ detail: String) -> HTTPProblem {
        HTTPProblem(status: 401, kind: .badSignature, title: "Bad or missing signature", detail: detail)
    }
    public static func staleTimestamp(_ detail: String) -> HTTPProblem {
        HTTPProblem(status: 400, kind: .staleTimestamp, title: "Timestamp outside the tolerance", detail: detail)
    }
    public static func tooLarge(_ limit: Int) -> HTTPProblem {
        HTTPProblem(
            status: 413, kind: .tooLarge, title: "Payload too large", detail: "bodies over \(limit) bytes are refused"
        )
    }
    public static func unknownProduct(_ product: String) -> HTTPProblem {
        HTTPProblem(
            status: 422, kind: .unknownProduct, title: "Unknown course or product",
            detail: "no course or product `\(product)` in the built catalog")
    }
    public static func invalidEmail(_ field: String) -> HTTPProblem {
        HTTPProblem(
            status: 422, kind: .invalidEmail, title: "Not an e-mail address",
            detail: "`\(field)` is not an e-mail address Lectern can deliver to; nothing was recorded")
    }
    /// A payment provider lecternd called (to place an order) failed or answered what it could not trust.
    public static func providerFailed(_ detail: String) -> HTTPProblem {
        HTTPProblem(status: 502, kind: .providerFailed, title: "The payment provider did not answer", detail: detail)
    }
    public static func storeUnavailable(cause: String? = nil) -> HTTPProblem {
        var problem = HTTPProblem(
            status: 503, kind: .storeUnavailable, title: "Not recorded",
            detail: "the event could not be stored; retry later")
        problem.cause = cause
        return problem
    }
}

extension HTTPProblem {
    /// Every kind of problem lecternd answers with. The raw value is the last segment of the `type` URI:
    /// stable, documented (docs/gate.md, docs/webhooks.md), what clients and tests match on.
    public enum Kind: String, Sendable, CaseIterable {
        case accessEnded = "access-ended"
        case accessWithdrawn = "access-withdrawn"
        case badPath = "bad-path"
        /// A buyer's offline edition could not be made just now (Chromium failed, the disk refused it).
        case editionFailed = "edition-failed"
        case badSignature = "bad-signature"
        case headersTooLarge = "headers-too-large"
        case invalidEmail = "invalid-email"
        case invalidLink = "invalid-link"
        case linkExpired = "link-expired"
        case linkNotYetValid = "link-not-yet-valid"
        case malformed
        case misconfigured
        case noAccess = "no-access"
        case notConfigured = "not-configured"
        case notFound = "not-found"
        case notYetAvailable = "not-yet-available"
        case paymentPending = "payment-pending"
        case providerFailed = "provider-failed"
        case otherCourse = "other-course"
        case rateLimited = "rate-limited"
        case resendAccepted = "resend-accepted"
        case signedOutElsewhere = "signed-out-elsewhere"
        case staleTimestamp = "stale-timestamp"
        case storeUnavailable = "store-unavailable"
        case tooLarge = "too-large"
        case unauthorized
        case unknownProduct = "unknown-product"
    }
}
