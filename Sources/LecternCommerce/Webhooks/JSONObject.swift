import Foundation
import LecternCore

/// Typed reading of a webhook's JSON object, so parsers say what they need in one line each.
/// Numbers are read exactly (`JSONValue`): an amount is an integer in range or it is refused.
package struct JSONObject {
    package let fields: [String: Any]

    package init(_ fields: [String: Any]) { self.fields = fields }

    package init(data: Data) throws(HTTPProblem) {
        // JSON writes a NUL only as this escape. No provider sends one, and PostgreSQL cannot store one in text:
        // refused here on both engines alike, instead of failing at the store and being retried for days.
        guard data.range(of: Data(#"\u0000"#.utf8)) == nil else {
            throw .malformed("a string holds a NUL character")
        }
        guard case .object(let fields) = try JSONValue.parse(data) else {
            throw .malformed("the body is not a JSON object")
        }
        self.fields = fields
    }

    private func value(_ path: [String]) -> JSONValue? {
        var current: Any = fields
        for key in path {
            guard let object = current as? [String: Any], let next = object[key] else { return nil }
            current = next
        }
        return JSONValue(current)
    }

    func object(_ path: String...) -> JSONObject? {
        guard case .object(let object) = value(path) else { return nil }
        return JSONObject(object)
    }

    /// The objects of an array (Stripe's `custom_fields`); empty when absent.
    func objects(_ path: String...) -> [JSONObject] {
        guard case .array(let items) = value(path) else { return [] }
        return items.compactMap { ($0 as? [String: Any]).map(JSONObject.init) }
    }

    /// The first object of an array (Stripe's `lines.data`, `items.data`).
    func first(_ path: String...) -> JSONObject? {
        guard case .array(let items) = value(path), let first = items.first as? [String: Any] else { return nil }
        return JSONObject(first)
    }

    /// A time given as Unix seconds (Stripe) or ISO 8601 text (Lemon Squeezy's "2021-08-11T13:47:28.000000Z"),
    /// within years 1970–9999 so date arithmetic cannot overflow; nil when absent or anything else.
    func time(_ path: String...) -> Date? {
        if let seconds = value(path)?.exactInteger {
            return TokenVerifier.validTimes.contains(seconds) ? Date(timeIntervalSince1970: TimeInterval(seconds)) : nil
        }
        guard let text = value(path)?.text, text.utf8.count <= 40 else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        // Lemon Squeezy writes six fraction digits, which the formatter refuses: read without them.
        if let date = formatter.date(from: text) { return date }
        guard let dot = text.firstIndex(of: "."), text.hasSuffix("Z") else { return nil }
        return formatter.date(from: String(text[..<dot]) + "Z")
    }

    /// Text, or an integer written as a number (ids some providers send as numbers).
    package func string(_ path: String...) -> String? { value(path)?.text }

    /// An integer: a JSON integer in `Int` range, an integral number no larger than 2^53 (beyond that a
    /// double is not exact), or a string of digits. Never a boolean, never a wrapped value.
    package func integer(_ path: String...) -> Int? { value(path)?.exactInteger }

    /// A JSON boolean (nothing else counts as one).
    package func bool(_ path: String...) -> Bool? {
        guard case .bool(let flag) = value(path) else { return nil }
        return flag
    }

    /// The buyer's address, checked here at ingestion: a string that is not an address never becomes a
    /// buyer row, a mail header or a curl argument (422, and the provider's dashboard shows why).
    func email(_ path: String...) throws(HTTPProblem) -> EmailAddress {
        guard let text = value(path)?.text, !text.isEmpty else {
            throw .malformed("missing `\(path.joined(separator: "."))`")
        }
        guard let address = EmailAddress(text) else { throw .invalidEmail(path.joined(separator: ".")) }
        return address
    }

    func require(_ path: String...) throws(HTTPProblem) -> String {
        guard let text = value(path)?.text, !text.isEmpty else {
            throw .malformed("missing `\(path.joined(separator: "."))`")
        }
        return text
    }
}
