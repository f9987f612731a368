import Crypto
import Foundation
import LecternCore

/// A WeChat Pay API v3 notification (支付通知 / 退款通知): the envelope's `resource` decrypted with the APIv3
/// key (AEAD_AES_256_GCM), checked against the merchant, reduced to what Lectern acts on. The signature is
/// checked before (`WeChatPaySignature.verify`); WeChat Pay retries anything but a 2xx for about a day.
public struct WeChatPayNotification: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// TRANSACTION.SUCCESS with `trade_state` SUCCESS.
        case paid(amount: Int, currency: String)
        /// REFUND.SUCCESS: this refund's `amount` (WeChat Pay reports each refund alone) of `total`.
        case refund(amount: Int, total: Int, refundNo: String)
        /// Anything else (a refund that failed or closed, another event): recorded, no effect.
        case other
    }

    public var eventType: String
    public var notificationID: String
    public var outTradeNo: String
    public var kind: Kind

    /// Decrypts and reads a notification whose signature was verified.
    package static func parse(
        _ body: Data, apiV3Key: SymmetricKey, merchantID: String, appID: String
    ) throws(HTTPProblem)
        -> Self
    {
        let envelope = try JSONObject(data: body)
        let id = try envelope.require("id")
        let type = try envelope.require("event_type")
        guard envelope.string("resource", "algorithm") == "AEAD_AES_256_GCM" else {
            throw .malformed("`resource.algorithm` must be AEAD_AES_256_GCM")
        }
        let nonce = try envelope.require("resource", "nonce")
        guard let sealed = Data(base64Encoded: try envelope.require("resource", "ciphertext")), sealed.count > 16,
            nonce.utf8.count == 12
        else { throw .malformed("`resource.ciphertext` or `resource.nonce` is not AES-GCM's") }
        let plain: Data
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: Data(nonce.utf8)), ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
            plain = try AES.GCM.open(
                box, using: apiV3Key, authenticating: Data((envelope.string("resource", "associated_data") ?? "").utf8))
        } catch {
            throw .badSignature("`resource` does not decrypt with the configured APIv3 key")
        }
        return try interpret(eventType: type, id: id, resource: plain, merchantID: merchantID, appID: appID)
    }

    /// The decrypted resource, read (a fuzz target on its own: a fuzzer cannot forge the key that guards it).
    package static func interpret(
        eventType: String, id: String, resource: Data, merchantID: String, appID: String
    ) throws(HTTPProblem) -> Self {
        let object = try JSONObject(data: resource)
        // Signed and encrypted for this merchant's key, so from WeChat Pay; for this merchant only.
        guard object.string("mchid") == merchantID else {
            throw .badSignature("`mchid` is not this site's merchant (`[wechatpay] mchid`)")
        }
        let outTradeNo = try object.require("out_trade_no")
        guard outTradeNo.utf8.count <= 64 else { throw .malformed("oversized `out_trade_no`") }
        let kind: Kind
        switch eventType {
        case "TRANSACTION.SUCCESS" where object.string("trade_state") == "SUCCESS":
            guard object.string("appid") == appID else {
                throw .badSignature("`appid` is not this site's app (`[wechatpay] appid`)")
            }
            guard let total = object.integer("amount", "total"), (0...10_000_000_000).contains(total) else {
                throw .malformed("`amount.total` must be a whole number of fen")
            }
            kind = .paid(amount: total, currency: (object.string("amount", "currency") ?? "CNY").uppercased())
        case "REFUND.SUCCESS" where object.string("refund_status") == "SUCCESS":
            guard let refund = object.integer("amount", "refund"), let total = object.integer("amount", "total"),
                (1...10_000_000_000).contains(refund), (1...10_000_000_000).contains(total)
            else { throw .malformed("`amount.refund` and `amount.total` must be whole numbers of fen") }
            let refundNo = try object.require("out_refund_no")
            guard refundNo.utf8.count <= 64 else { throw .malformed("oversized `out_refund_no`") }
            kind = .refund(amount: refund, total: total, refundNo: refundNo)
        default:
            kind = .other
        }
        return WeChatPayNotification(eventType: eventType, notificationID: id, outTradeNo: outTradeNo, kind: kind)
    }

    /// The event to record; a payment needs lecternd's checkout (the buyer and the course). Ids are derived
    /// from the order and the refund, so WeChat Pay's retries are one event.
    public func event(
        checkout: (email: EmailAddress, product: String, price: Money)?
    ) throws(HTTPProblem)
        -> PaymentEvent
    {
        switch kind {
        case .paid(let amount, let currency):
            guard let checkout else { throw .malformed("no order `\(outTradeNo)` was placed by this lecternd") }
            return PaymentEvent(
                provider: .wechatpay, eventID: "paid:\(outTradeNo)", type: eventType,
                action: .paid(
                    .init(
                        orderID: outTradeNo, paymentRef: outTradeNo, product: checkout.product, email: checkout.email,
                        amount: amount, currency: currency, subscriptionRef: nil, quotedPrice: checkout.price)))
        case .refund(let amount, let total, let refundNo):
            let action: PaymentEvent.Action =
                amount >= total
                ? .refunded(paymentRef: outTradeNo)
                : .refundedPart(paymentRef: outTradeNo, amount: amount, runningTotal: false)
            return PaymentEvent(
                provider: .wechatpay, eventID: "refund:\(outTradeNo):\(refundNo)", type: eventType, action: action)
        case .other:
            return PaymentEvent(
                provider: .wechatpay, eventID: "\(eventType):\(notificationID)", type: eventType, action: .ignored)
        }
    }
}
