import Foundation
import LecternCore

/// Orders lecternd places itself (Alipay, WeChat Pay), before they are paid: the buyer's e-mail, the
/// product and the amount lecternd asked for, under its own `out_trade_no`. The provider's notification
/// names only that number, so this row is what ties a payment to a buyer and a course.
public struct Checkouts: Sendable {
    public struct Checkout: Sendable, Equatable {
        public var provider: PaymentEvent.Provider
        public var outTradeNo: String
        public var product: String
        public var email: EmailAddress
        public var price: Money
    }

    public let store: Store

    public init(store: Store) { self.store = store }

    /// A new order number: 32 hex digits (128 random bits), so neither the number nor the claim URL that
    /// carries it can be guessed; within every provider's limit (Alipay 64, WeChat Pay 32 characters).
    public static func newOutTradeNo() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// Records a checkout (one write, committed before the buyer is sent to the provider).
    public func record(
        provider: PaymentEvent.Provider, outTradeNo: String, product: String, email: EmailAddress, price: Money,
        now: Date = Date()
    ) throws {
        try store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO checkouts (provider, out_trade_no, product, email, amount, currency, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    provider.rawValue, outTradeNo, product, email.value, price.minorUnits, price.currency,
                    Store.timestamp(now),
                ])
        }
    }

    /// The checkout with this number (a notification's, or the claim page's after the provider sends the
    /// buyer back), whichever provider it was placed with: the caller checks that.
    public func find(outTradeNo: String) throws -> Checkout? {
        // No number of ours holds a NUL (and PostgreSQL text cannot): a `%00` is simply not an order.
        guard !outTradeNo.utf8.contains(0) else { return nil }
        let row = try store.read { db in
            try SQLRow.fetchOne(
                db,
                sql: "SELECT provider, product, email, amount, currency FROM checkouts WHERE out_trade_no = ?",
                arguments: [outTradeNo])
        }
        guard let row, let providerName: String = row["provider"],
            let provider = PaymentEvent.Provider(rawValue: providerName), let product: String = row["product"],
            let address: String = row["email"], let email = EmailAddress(address), let amount: Int = row["amount"],
            let currency: String = row["currency"]
        else { return nil }
        return Checkout(
            provider: provider, outTradeNo: outTradeNo, product: product, email: email,
            price: Money(minorUnits: amount, currency: currency))
    }

    /// Whether the order with this number is recorded as paid (and not reversed).
    public func isPaid(outTradeNo: String) throws -> Bool {
        guard !outTradeNo.utf8.contains(0) else { return false }
        return try store.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM orders WHERE provider IN (?, ?) AND provider_order_id = ?
                      AND status = ?)
                    """,
                arguments: [
                    PaymentEvent.Provider.alipay.rawValue, PaymentEvent.Provider.wechatpay.rawValue, outTradeNo,
                    OrderStatus.paid.rawValue,
                ]) ?? false
        }
    }
}
