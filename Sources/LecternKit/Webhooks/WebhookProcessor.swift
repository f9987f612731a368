import Foundation
import GRDB

/// Applies a verified payment event to the store, exactly once: the event-id claim, the order, the
/// grant and the e-mail with the signed link commit together (one savepoint of a group-committed
/// transaction, see `GroupCommit`), or none of them do.
public struct WebhookProcessor: Sendable {
    public enum Outcome: Equatable, Sendable {
        /// Newly recorded; `result` says what it did ("granted", "refund-pending", "ignored", …).
        case recorded(result: String)
        /// The event id was seen before: nothing changed.
        case duplicate
    }

    /// The price a product must be paid at, from the current build's catalog (re-read after a rebuild,
    /// see `LiveBundle`); nil for a product the catalog does not sell.
    let prices: @Sendable (String) -> Money?
    let links: AccessLinks
    private let commits: GroupCommit<Outcome>

    public init(store: Store, prices: @escaping @Sendable (String) -> Money?, links: AccessLinks) {
        self.prices = prices
        self.links = links
        commits = GroupCommit(store: store)
    }

    /// - Throws: `HTTPProblem` 422 for an unknown product (nothing written), 503 when the store fails.
    public func process(_ event: PaymentEvent, rawBody: Data, now: Date = Date()) async throws(HTTPProblem) -> Outcome {
        // Every product that can be sold has a price (a build error otherwise), and every payment is
        // checked against it: a product without one would be granted at any amount.
        var expectedPrice: Money?
        if case .paid(let payment) = event.action {
            guard let price = prices(payment.product) else { throw .unknownProduct(payment.product) }
            expectedPrice = price
        }
        let processor = self
        let price = expectedPrice
        do {
            return try await commits.submit { db in
                let stamp = Store.timestamp(now)
                try db.executeCached(
                    sql: """
                        INSERT INTO webhook_events (provider, event_id, type, received_at, raw_body, result)
                        VALUES (?, ?, ?, ?, ?, 'processing') ON CONFLICT (provider, event_id) DO NOTHING
                        """, arguments: [event.provider.rawValue, event.eventID, event.type, stamp, rawBody])
                guard db.changesCount == 1 else { return .duplicate }
                let result = try processor.apply(event, expectedPrice: price, db: db, now: now)
                try db.executeCached(
                    sql: "UPDATE webhook_events SET result = ? WHERE provider = ? AND event_id = ?",
                    arguments: [result, event.provider.rawValue, event.eventID])
                return .recorded(result: result)
            }
        } catch let problem as HTTPProblem {
            throw problem
        } catch {
            throw .storeUnavailable()
        }
    }

    private func apply(_ event: PaymentEvent, expectedPrice: Money?, db: Database, now: Date) throws -> String {
        let stamp = Store.timestamp(now)
        let provider = event.provider.rawValue
        switch event.action {
        case .ignored:
            return "ignored"

        case .paid(let payment):
            let buyer = try Ledger.buyer(email: payment.email.value, db: db, now: stamp)
            var flag: String?
            if let price = expectedPrice, price.minorUnits != payment.amount || price.currency != payment.currency {
                flag =
                    "price mismatch: paid \(payment.amount) \(payment.currency), "
                    + "catalog says \(price.minorUnits) \(price.currency)"
            }
            let pending = try String.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT kind FROM pending_reversals WHERE provider = ? AND payment_ref = ? ORDER BY id LIMIT 1
                        """), arguments: [provider, payment.paymentRef])
            let status = flag != nil ? "flagged" : (pending ?? "paid")
            try db.executeCached(
                sql: """
                    INSERT INTO orders (provider, provider_order_id, payment_ref, buyer_id, product, amount, currency,
                      status, flag, created_at, updated_at, number)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, provider_order_id) DO NOTHING
                    """,
                arguments: [
                    provider, payment.orderID, payment.paymentRef, buyer, payment.product, payment.amount,
                    payment.currency, status, flag, stamp, stamp, OrderNumber.random(),
                ])
            // A second event for the same purchase (e.g. async_payment_succeeded after completed).
            guard db.changesCount == 1 else { return "already-recorded" }
            let order = db.lastInsertedRowID
            if flag != nil { return "flagged" }
            if let pending {
                try db.executeCached(
                    sql: "DELETE FROM pending_reversals WHERE provider = ? AND payment_ref = ?",
                    arguments: [provider, payment.paymentRef])
                return "\(pending)-before-payment"
            }
            let grant = try Ledger.grant(
                buyer: buyer, order: order, product: payment.product,
                subscription: payment.subscriptionRef, db: db, now: stamp)
            try links.queueEmail(to: payment.email, grant: grant, product: payment.product, db: db, now: now)
            return "granted"

        case .refunded(let ref), .disputed(let ref):
            let kind: String
            if case .refunded = event.action { kind = "refunded" } else { kind = "disputed" }
            let orders = try Int64.fetchAll(
                db, sql: "SELECT id FROM orders WHERE provider = ? AND payment_ref = ?", arguments: [provider, ref])
            guard !orders.isEmpty else {
                // Out of order: keep it, and apply it when the payment arrives.
                try db.executeCached(
                    sql:
                        "INSERT INTO pending_reversals (provider, payment_ref, kind, event_id, received_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [provider, ref, kind, event.eventID, stamp])
                return "\(kind)-pending"
            }
            for order in orders {
                try db.executeCached(
                    sql: "UPDATE orders SET status = ?, updated_at = ? WHERE id = ?", arguments: [kind, stamp, order])
                try db.executeCached(
                    sql: "UPDATE grants SET revoked_at = ?, reason = ? WHERE order_id = ? AND revoked_at IS NULL",
                    arguments: [stamp, kind, order])
            }
            return kind

        case .subscriptionChanged(let ref, let active, let at):
            let at = Store.timestamp(at)
            // Timestamp guard: an older `updated` never overwrites a newer state.
            try db.executeCached(
                sql: """
                    UPDATE grants SET ends_at = ?, state_at = ? WHERE subscription_ref = ? AND (state_at IS NULL OR state_at <= ?)
                    """, arguments: [active ? nil : at, at, ref, at])
            return db.changesCount > 0 ? (active ? "subscription-active" : "subscription-ended") : "subscription-stale"
        }
    }
}
