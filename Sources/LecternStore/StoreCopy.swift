import Crypto
import Foundation
import LecternCore

/// `lectern store copy --from A --to B`: every row of one store into another, either engine either way
/// (a creator moving from one SQLite file to PostgreSQL, or back).
///
/// - **Ids kept**: a grant's id is inside every buyer's fingerprint and signed link, so rows keep their keys;
///   PostgreSQL's identity counters are then moved past them.
/// - **Atomic and repeatable**: the source is read in one snapshot, the destination replaced in one
///   transaction; running it again (after more sales on the source) makes the destination that newer copy.
/// - **Safe against a live destination**: a destination holding a webhook event the source lacks has been
///   serving on its own; copying over it would lose that, so the copy refuses.
/// - **Verified**: each table's row count and a digest of every row, read back from both stores.
public enum StoreCopy {
    /// Every table, parents before children (foreign keys), with its key columns and whether that key is a
    /// counter the database assigns (`INTEGER PRIMARY KEY`, an identity column on PostgreSQL).
    static let tables: [(name: String, key: String, counted: Bool)] = [
        ("buyers", "id", true), ("orders", "id", true), ("grants", "id", true), ("webhook_events", "id", true),
        ("pending_reversals", "id", true), ("outbox", "id", true), ("daemon_state", "key", false),
        ("checkouts", "id", true), ("progress", "buyer_id, course, lesson", false), ("sessions", "id", false),
        ("session_sightings", "session_id, day, network", false), ("subscription_states", "provider, ref", false),
        ("payment_aliases", "provider, alias", false),
    ]

    /// One table as both stores hold it after the copy.
    public struct TableSummary: Sendable, Equatable {
        public var name: String
        public var rows: Int
        /// SHA-256 of every row in key order, values typed as the store reads them.
        public var digest: String
    }

    public struct Summary: Sendable, Equatable {
        public var tables: [TableSummary]
        /// Sums the creator can check by eye: every order's amount and what was refunded of them.
        public var amount: Int64
        public var refunded: Int64
    }

    /// Copies `source` into `destination`; returns what both now hold (verified equal).
    @discardableResult
    public static func copy(from source: Store, to destination: Store) throws -> Summary {
        let rows = try source.read { db in
            try tables.map { table in try SQLRow.fetchAll(db, sql: "SELECT * FROM \(table.name) ORDER BY \(table.key)")
            }
        }
        let sourceEvents = Set(
            rows[3].map { "\($0["provider"] as String)\u{0}\($0["event_id"] as String)" })
        try destination.write { db in
            let present = try SQLRow.fetchAll(db, sql: "SELECT provider, event_id FROM webhook_events")
            if let extra = present.first(where: {
                !sourceEvents.contains("\($0["provider"] as String)\u{0}\($0["event_id"] as String)")
            }) {
                throw LecternError(
                    .store, file: destination.engine.description,
                    "the destination has webhook events the source lacks (\(extra["provider"] as String) "
                        + "\(extra["event_id"] as String)): it has been serving on its own",
                    hint: "copy into an empty database, or into one only ever filled by this copy")
            }
            for table in tables.reversed() { try db.execute(sql: "DELETE FROM \(table.name)") }
            for (table, tableRows) in zip(tables, rows) {
                guard let columns = tableRows.first?.columns else { continue }
                let names = columns.joined(separator: ", ")
                let marks = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
                // Rows in batches (one round trip each on PostgreSQL), within both engines' parameter limits.
                let batch = max(1, 4_000 / columns.count)
                for start in stride(from: 0, to: tableRows.count, by: batch) {
                    let rows = tableRows[start..<min(start + batch, tableRows.count)]
                    try db.execute(
                        sql: "INSERT INTO \(table.name) (\(names)) VALUES "
                            + Array(repeating: marks, count: rows.count).joined(separator: ", "),
                        arguments: SQLArguments(rows.flatMap(\.values)))
                }
                if db.dialect == .postgres && table.counted {
                    // Identity counters past the copied ids, so the next order does not collide with one.
                    try db.execute(
                        sql: """
                            SELECT setval(
                              pg_get_serial_sequence('\(table.name)', 'id'), COALESCE(MAX(id), 0) + 1, false)
                            FROM \(table.name)
                            """)
                }
            }
        }
        let copied = try summary(of: source)
        let landed = try summary(of: destination)
        guard copied == landed else {
            let differing = zip(copied.tables, landed.tables).first { $0 != $1 }.map { $0.0.name } ?? "sums"
            throw LecternError(
                .store, file: destination.engine.description, "the copy differs from its source in \(differing)",
                hint: "the source changed during the copy (a daemon still writing to it): run the copy again")
        }
        return landed
    }

    /// Row counts, digests and sums of a store, read in one snapshot.
    public static func summary(of store: Store) throws -> Summary {
        try store.read { db in
            var summaries: [TableSummary] = []
            for table in tables {
                var hash = SHA256()
                let rows = try SQLRow.fetchAll(db, sql: "SELECT * FROM \(table.name) ORDER BY \(table.key)")
                for row in rows {
                    for (column, value) in zip(row.columns, row.values) {
                        hash.update(data: Data("\(column)=".utf8))
                        switch value {
                        case .null: hash.update(data: Data("null;".utf8))
                        case .integer(let number): hash.update(data: Data("i\(number);".utf8))
                        case .real(let number): hash.update(data: Data("r\(number);".utf8))
                        case .text(let text): hash.update(data: Data("t\(text.utf8.count):\(text);".utf8))
                        case .blob(let data): hash.update(data: Data("b\(data.count):".utf8) + data + Data(";".utf8))
                        }
                    }
                    hash.update(data: Data("\n".utf8))
                }
                let digest = Hex.string(hash.finalize())
                summaries.append(TableSummary(name: table.name, rows: rows.count, digest: digest))
            }
            let sums = try SQLRow.fetchOne(
                db,
                sql: """
                    SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS amount,
                      CAST(COALESCE(SUM(refunded_amount), 0) AS BIGINT) AS refunded FROM orders
                    """)
            return Summary(tables: summaries, amount: sums?["amount"] ?? 0, refunded: sums?["refunded"] ?? 0)
        }
    }
}
