import Foundation
import GRDB

/// The store's named writes for buyers, orders and grants, each inside a caller's transaction: those
/// shared by webhooks and the creator's CLI here, the webhook processor's in `WebhookLedger.swift`.
enum Ledger {
    /// The buyer id for an e-mail, creating the buyer on first purchase.
    static func buyer(email: String, db: Database, now: String) throws -> Int64 {
        let normalized = Store.normalizeEmail(email)
        try db.executeCached(
            sql: "INSERT INTO buyers (email, created_at) VALUES (?, ?) ON CONFLICT (email) DO NOTHING",
            arguments: [normalized, now])
        guard
            let id = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM buyers WHERE email = ?"), arguments: [normalized])
        else {
            throw LecternError(.store, "buyer vanished inside its own transaction")
        }
        return id
    }

    static func grant(
        buyer: Int64, order: Int64?, product: String, subscription: String?, db: Database, now: String
    ) throws -> Int64 {
        try db.executeCached(
            sql: """
                INSERT INTO grants (buyer_id, order_id, product, starts_at, subscription_ref) VALUES (?, ?, ?, ?, ?)
                """, arguments: [buyer, order, product, now, subscription])
        return db.lastInsertedRowID
    }
}
