import Foundation
import LecternCore

extension Store {
    /// The schema, in order. Each step runs once per database, in one transaction, by whichever process
    /// opens it first (SQLite: GRDB's migrator; PostgreSQL: under an advisory lock, see `LecternPostgres`).
    /// Never edit a shipped migration: add the next one.
    public static let migrations: [Migration] = [
        Migration("v1") { db in
            try db.executeScript(
                db.dialect.schema(
                    """
                    CREATE TABLE buyers (
                      id INTEGER PRIMARY KEY,
                      email TEXT NOT NULL UNIQUE,
                      created_at TEXT NOT NULL
                    );
                    CREATE TABLE orders (
                      id INTEGER PRIMARY KEY,
                      provider TEXT NOT NULL,
                      provider_order_id TEXT NOT NULL,
                      payment_ref TEXT,
                      buyer_id INTEGER NOT NULL REFERENCES buyers(id),
                      product TEXT NOT NULL,
                      amount INTEGER NOT NULL,
                      currency TEXT NOT NULL,
                      status TEXT NOT NULL CHECK (status IN ('paid', 'refunded', 'disputed', 'flagged')),
                      flag TEXT,
                      created_at TEXT NOT NULL,
                      updated_at TEXT NOT NULL,
                      UNIQUE (provider, provider_order_id)
                    );
                    CREATE INDEX orders_by_payment ON orders (provider, payment_ref);
                    CREATE TABLE grants (
                      id INTEGER PRIMARY KEY,
                      buyer_id INTEGER NOT NULL REFERENCES buyers(id),
                      order_id INTEGER REFERENCES orders(id),
                      product TEXT NOT NULL,
                      starts_at TEXT NOT NULL,
                      ends_at TEXT,
                      revoked_at TEXT,
                      reason TEXT,
                      subscription_ref TEXT,
                      state_at TEXT
                    );
                    CREATE INDEX grants_by_buyer ON grants (buyer_id);
                    CREATE INDEX grants_by_subscription ON grants (subscription_ref);
                    CREATE TABLE webhook_events (
                      id INTEGER PRIMARY KEY,
                      provider TEXT NOT NULL,
                      event_id TEXT NOT NULL,
                      type TEXT NOT NULL,
                      received_at TEXT NOT NULL,
                      raw_body BLOB NOT NULL,
                      result TEXT NOT NULL,
                      UNIQUE (provider, event_id)
                    );
                    CREATE TABLE pending_reversals (
                      id INTEGER PRIMARY KEY,
                      provider TEXT NOT NULL,
                      payment_ref TEXT NOT NULL,
                      kind TEXT NOT NULL CHECK (kind IN ('refunded', 'disputed')),
                      event_id TEXT NOT NULL,
                      received_at TEXT NOT NULL
                    );
                    CREATE INDEX pending_by_payment ON pending_reversals (provider, payment_ref);
                    CREATE TABLE outbox (
                      id INTEGER PRIMARY KEY,
                      recipient TEXT NOT NULL,
                      subject TEXT NOT NULL,
                      body TEXT NOT NULL,
                      attempts INTEGER NOT NULL DEFAULT 0,
                      next_attempt_at TEXT NOT NULL,
                      sent_at TEXT,
                      last_error TEXT,
                      created_at TEXT NOT NULL
                    );
                    CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
                    """))
        },
        Migration("v2-security") { db in
            // Lectern's own order number (printed in the visible stamp instead of a provider's id, which
            // is a credential at some providers), the single-use checkout claim, and no stored link
            // in e-mails already sent.
            try db.executeScript(
                db.dialect.schema(
                    """
                    ALTER TABLE orders ADD COLUMN number TEXT;
                    ALTER TABLE orders ADD COLUMN claimed_at TEXT;
                        UPDATE outbox SET body = '' WHERE sent_at IS NOT NULL;
                    """))
            // 40 random bits each; drawn again on the rare repeat, so the unique index below cannot fail.
            var taken = Set<String>()
            for id in try Int64.fetchAll(db, sql: "SELECT id FROM orders") {
                var number = OrderNumber.random()
                while !taken.insert(number).inserted { number = OrderNumber.random() }
                try db.execute(sql: "UPDATE orders SET number = ? WHERE id = ?", arguments: [number, id])
            }
            try db.execute(sql: "CREATE UNIQUE INDEX orders_by_number ON orders (number)")
        },
        Migration("v3-health") { db in
            // One row per fact the daemon keeps about itself: the heartbeat is the write `/healthz` relies
            // on when nothing else was written lately (a full disk or a held lock shows up here).
            try db.execute(sql: "CREATE TABLE daemon_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        },
        Migration("v4-checkouts") { db in
            // Orders lecternd places itself (Alipay, WeChat Pay): what was asked for, before the provider
            // says it was paid; and what was given back of a payment whose access stays (a partial refund).
            try db.executeScript(
                db.dialect.schema(
                    """
                    CREATE TABLE checkouts (
                      id INTEGER PRIMARY KEY,
                      provider TEXT NOT NULL,
                      out_trade_no TEXT NOT NULL UNIQUE,
                      product TEXT NOT NULL,
                      email TEXT NOT NULL,
                      amount INTEGER NOT NULL,
                      currency TEXT NOT NULL,
                      created_at TEXT NOT NULL
                    );
                    ALTER TABLE orders ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0;
                    """))
        },
        Migration("v5-library") { db in
            // What a buyer has read, per course, kept on the server so it follows them to every device.
            try db.executeScript(
                db.dialect.schema(
                    """
                    CREATE TABLE progress (
                      buyer_id INTEGER NOT NULL REFERENCES buyers(id),
                      course TEXT NOT NULL,
                      lesson TEXT NOT NULL,
                      read_at TEXT NOT NULL,
                      PRIMARY KEY (buyer_id, course, lesson)
                    ) WITHOUT ROWID;
                    """))
        },
        Migration("v6-letters") { db in
            // A link e-mail is queued as what it is about (its kind and grant), and written when it is sent:
            // no signed link rests in the database, and letters to one buyer due together go out as one.
            try db.executeScript(
                db.dialect.schema(
                    """
                    ALTER TABLE outbox ADD COLUMN kind TEXT;
                    ALTER TABLE outbox ADD COLUMN grant_id INTEGER;
                    """))
        },
        Migration("v7-sessions") { db in
            // The browsers each buyer is signed in on, and the networks (/24, /48) each was seen from per day.
            try db.executeScript(
                db.dialect.schema(
                    """
                    CREATE TABLE sessions (
                      id TEXT PRIMARY KEY,
                      buyer_id INTEGER NOT NULL REFERENCES buyers(id),
                      grant_id INTEGER NOT NULL,
                      started_at TEXT NOT NULL,
                      last_seen_at TEXT NOT NULL,
                      network TEXT NOT NULL,
                      browser TEXT NOT NULL,
                      ended_at TEXT,
                      ended_reason TEXT
                    );
                    CREATE INDEX sessions_by_buyer ON sessions (buyer_id, ended_at);
                    CREATE TABLE session_sightings (
                      session_id TEXT NOT NULL,
                      day TEXT NOT NULL,
                      network TEXT NOT NULL,
                      PRIMARY KEY (session_id, day, network)
                    ) WITHOUT ROWID;
                    CREATE INDEX session_sightings_by_day ON session_sightings (day);
                    """))
        },
        Migration("v8-order-money") { db in
            // `amount` stays what the buyer paid; the provider's discount and the tax it added beside it.
            try db.executeScript(
                db.dialect.schema(
                    """
                    ALTER TABLE orders ADD COLUMN discount_amount INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE orders ADD COLUMN tax_amount INTEGER NOT NULL DEFAULT 0;
                    """))
        },
        Migration("v9-subscriptions") { db in
            // The one edit of a shipped migration: its last statement was SQLite's `INSERT OR IGNORE`, spelled
            // here as both engines read it, with the same effect (a database that ran it is unaffected).
            // A subscription's latest state by the provider's time, kept apart from its grants so a state that
            // arrives before the purchase is applied to it; and the other ids a provider's refunds name.
            try db.executeScript(
                db.dialect.schema(
                    """
                    CREATE TABLE subscription_states (
                      provider TEXT NOT NULL,
                      ref TEXT NOT NULL,
                      status TEXT NOT NULL,
                      ends_at TEXT,
                      state_at TEXT NOT NULL,
                      order_id TEXT,
                      PRIMARY KEY (provider, ref)
                    ) WITHOUT ROWID;
                    CREATE INDEX subscription_states_by_order ON subscription_states (provider, order_id);
                    CREATE TABLE payment_aliases (
                      provider TEXT NOT NULL,
                      alias TEXT NOT NULL,
                      target TEXT NOT NULL,
                      PRIMARY KEY (provider, alias)
                    ) WITHOUT ROWID;
                    INSERT INTO subscription_states (provider, ref, status, ends_at, state_at)
                      SELECT o.provider, g.subscription_ref, CASE WHEN g.ends_at IS NULL THEN 'active' ELSE 'ended' END,
                        g.ends_at, g.state_at
                      FROM grants g JOIN orders o ON o.id = g.order_id
                      WHERE g.subscription_ref IS NOT NULL AND g.state_at IS NOT NULL
                      ON CONFLICT DO NOTHING;
                    """))
        },
        Migration("v10-gifts") { db in
            // A gift's recipient and delivery day, kept with the order the giver paid (so `lectern approve`
            // of a flagged gift still gives it to the recipient).
            try db.executeScript(
                db.dialect.schema(
                    """
                    ALTER TABLE orders ADD COLUMN gift_to TEXT;
                    ALTER TABLE orders ADD COLUMN gift_date TEXT;
                    """))
        },
        Migration("v11-order-subscription") { db in
            // The subscription an order started (so `lectern approve` of a flagged free trial keeps it one).
            try db.execute(sql: "ALTER TABLE orders ADD COLUMN subscription_ref TEXT")
        },
        // Rate limits counted in the database, shared by the nodes (`RateCounters`).
        Migration(
            "v12-rate-counters",
            schema: """
                CREATE TABLE rate_counters (
                  key TEXT NOT NULL,
                  window_start INTEGER NOT NULL,
                  count INTEGER NOT NULL,
                  PRIMARY KEY (key, window_start)
                ) WITHOUT ROWID
                """),
    ]
}

/// A schema change, in SQL both engines run (`SQLDialect.schema(_:)` adapts the few DDL words that differ),
/// identified by a name kept forever: never edit a shipped migration, add the next one.
public struct Migration: Sendable {
    public let identifier: String
    public let apply: @Sendable (any SQLDatabase) throws -> Void

    init(_ identifier: String, _ apply: @escaping @Sendable (any SQLDatabase) throws -> Void) {
        self.identifier = identifier
        self.apply = apply
    }

    init(_ identifier: String, schema: String) {
        self.init(identifier) { db in try db.executeScript(db.dialect.schema(schema)) }
    }
}

extension SQLDialect {
    /// DDL written for SQLite, as PostgreSQL needs it: 64-bit integers, identity keys, `BYTEA`, no
    /// `WITHOUT ROWID` (PostgreSQL tables have no rowid to leave out).
    public func schema(_ sql: String) -> String {
        guard self == .postgres else { return sql }
        return
            sql
            .replacingOccurrences(
                of: "INTEGER PRIMARY KEY", with: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
            )
            .replacingOccurrences(of: "INTEGER", with: "BIGINT")
            .replacingOccurrences(of: " BLOB", with: " BYTEA")
            .replacingOccurrences(of: ") WITHOUT ROWID", with: ")")
    }
}
