import CryptoExtras
import Foundation
import LecternConfig
import LecternCore

/// Alipay's asynchronous notification (a form-encoded POST to `notify_url`), verified with Alipay's public
/// key and checked against the creator's app, reduced to what Lectern acts on. Alipay retries anything
/// but the plain-text answer `success` for about a day, so every refusal here is safe: nothing is written.
public struct AlipayNotification: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// TRADE_SUCCESS / TRADE_FINISHED with nothing refunded: the order is paid.
        case paid
        /// Money given back: `refundedTotal` is every refund so far; `full` when it is the whole payment
        /// (or Alipay closed the trade after it).
        case refund(refundedTotal: Int, full: Bool, requestNo: String)
        /// WAIT_BUYER_PAY, or TRADE_CLOSED of an order never paid: recorded, no effect.
        case unpaid(status: String)
    }

    public var outTradeNo: String
    public var totalAmount: Money
    public var kind: Kind

    static let maximumFields = 100

    /// - Throws: 400 for a body that is not a form or misses a field, 401 for a signature Alipay's key did
    ///   not make or another app's notification.
    public static func parse(_ body: Data, appID: String, key: _RSA.Signing.PublicKey) throws(HTTPProblem) -> Self {
        guard let text = String(data: body, encoding: .utf8),
            let fields = FormFields.parseStrict(text, maximumFields: maximumFields)
        else { throw .malformed("the body is not an application/x-www-form-urlencoded form in UTF-8") }
        if let signType = fields["sign_type"], signType != "RSA2" {
            throw .badSignature("`sign_type` \(signType): only RSA2 is accepted")
        }
        guard AlipaySignature.isValid(notification: fields, key: key) else {
            throw .badSignature("the notification is not signed by the configured Alipay public key")
        }
        // Signed, so from Alipay; but for this shop's app only (one Alipay account can own several apps).
        guard fields["app_id"] == appID else {
            throw .badSignature("`app_id` is not this site's Alipay app (`[alipay] app_id`)")
        }
        return try interpret(fields)
    }

    /// The fields of a verified notification, read (a fuzz target on its own: a fuzzer cannot forge the
    /// signature that guards it in `parse`).
    package static func interpret(_ fields: [String: String]) throws(HTTPProblem) -> Self {
        func field(_ name: String) throws(HTTPProblem) -> String {
            guard let value = fields[name], !value.isEmpty, value.utf8.count <= 128 else {
                throw .malformed("missing or oversized `\(name)`")
            }
            return value
        }
        let outTradeNo = try field("out_trade_no")
        let status = try field("trade_status")
        guard let total = Money(decimal: try field("total_amount"), currency: "CNY") else {
            throw .malformed("`total_amount` is not an amount in yuan such as 99.00")
        }
        let refunded =
            try fields["refund_fee"].flatMap { text throws(HTTPProblem) -> Int? in
                guard let money = Money(decimal: text, currency: "CNY") else {
                    throw .malformed("`refund_fee` is not an amount in yuan")
                }
                return money.minorUnits
            } ?? 0
        let kind: Kind
        switch status {
        case _ where refunded > 0:
            let full = refunded >= total.minorUnits || status == "TRADE_CLOSED"
            kind = .refund(refundedTotal: refunded, full: full, requestNo: fields["out_biz_no"] ?? "\(refunded)")
        case "TRADE_SUCCESS", "TRADE_FINISHED":
            kind = .paid
        case "WAIT_BUYER_PAY", "TRADE_CLOSED":
            kind = .unpaid(status: status)
        default:
            throw .malformed("unknown `trade_status` \(status)")
        }
        return AlipayNotification(
            outTradeNo: outTradeNo, totalAmount: total, kind: kind)
    }

    /// The event to record. A payment needs lecternd's checkout (the buyer and the course): a notification
    /// names only the order number. Ids are derived so that Alipay's retries, and TRADE_FINISHED after
    /// TRADE_SUCCESS, are one event each.
    public func event(
        checkout: (email: EmailAddress, product: String, price: Money)?
    ) throws(HTTPProblem)
        -> PaymentEvent
    {
        let action: PaymentEvent.Action
        let eventID: String
        let type: String
        switch kind {
        case .paid:
            guard let checkout else {
                throw .malformed("no order `\(outTradeNo)` was placed by this lecternd")
            }
            eventID = "paid:\(outTradeNo)"
            type = "trade.paid"
            action = .paid(
                .init(
                    orderID: outTradeNo, paymentRef: outTradeNo, product: checkout.product, email: checkout.email,
                    amount: totalAmount.minorUnits, currency: totalAmount.currency, subscriptionRef: nil,
                    quotedPrice: checkout.price))
        case .refund(let total, let full, let requestNo):
            eventID = "refund:\(outTradeNo):\(requestNo)"
            type = full ? "trade.refunded" : "trade.partially_refunded"
            action =
                full
                ? .refunded(paymentRef: outTradeNo)
                : .refundedPart(paymentRef: outTradeNo, amount: total, runningTotal: true)
        case .unpaid(let status):
            eventID = "\(status.lowercased()):\(outTradeNo)"
            type = "trade.\(status.lowercased())"
            action = .ignored
        }
        return PaymentEvent(provider: .alipay, eventID: eventID, type: type, action: action)
    }
}
