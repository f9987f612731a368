import Foundation

/// A provider's webhook, reduced to what Lectern acts on. Each provider parser produces one of these.
public struct PaymentEvent: Sendable, Equatable {
    public enum Provider: String, Sendable { case stripe, standard, lemonsqueezy }

    public struct Payment: Sendable, Equatable {
        /// The provider's id of the purchase (Stripe checkout session, Lemon Squeezy order, …).
        public var orderID: String
        /// The id later refund/dispute events name (Stripe payment_intent, …).
        public var paymentRef: String
        public var product: String
        public var email: String
        public var amount: Int
        /// Upper-case ISO 4217.
        public var currency: String
        public var subscriptionRef: String?
    }

    public enum Action: Sendable, Equatable {
        case paid(Payment)
        case refunded(paymentRef: String)
        case disputed(paymentRef: String)
        /// A subscription ended (or came back, `active: true`) as of `at`.
        case subscriptionChanged(ref: String, active: Bool, at: Date)
        /// Recorded, acknowledged, no effect.
        case ignored
    }

    public var provider: Provider
    public var eventID: String
    public var type: String
    public var action: Action
}

/// Typed reading of a decoded JSON object, so parsers say what they need in one line each.
struct JSONObject {
    let value: [String: Any]

    init(_ value: [String: Any]) { self.value = value }

    init(data: Data) throws(HTTPProblem) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .malformed("the body is not a JSON object")
        }
        value = object
    }

    func object(_ path: String...) -> JSONObject? {
        var current: Any? = value
        for key in path { current = (current as? [String: Any])?[key] }
        return (current as? [String: Any]).map(JSONObject.init)
    }

    func string(_ path: String...) -> String? {
        var current: Any? = value
        for key in path { current = (current as? [String: Any])?[key] }
        if let string = current as? String { return string }
        if let number = current as? NSNumber, !(current is Bool) { return number.stringValue }
        return nil
    }

    func integer(_ path: String...) -> Int? {
        var current: Any? = value
        for key in path { current = (current as? [String: Any])?[key] }
        if current is Bool { return nil }
        if let number = current as? NSNumber, number.doubleValue == number.doubleValue.rounded() { return number.intValue }
        if let string = current as? String { return Int(string) }
        return nil
    }

    func require(_ path: String...) throws(HTTPProblem) -> String {
        var current: Any? = value
        for key in path { current = (current as? [String: Any])?[key] }
        guard let string = (current as? String) ?? (current as? NSNumber).map({ $0.stringValue }), !string.isEmpty else {
            throw .malformed("missing `\(path.joined(separator: "."))`")
        }
        return string
    }
}
