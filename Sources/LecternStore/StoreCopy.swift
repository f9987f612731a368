import Crypto
import Foundation
import LecternCore

/// `lectern store copy --from A --to B`: every row of one store into another, either engine either way
/// (a creator moving from one SQLite file to PostgreSQL, or back).
///
/// - **Ids kept**: a grant's id is inside every buyer's fingerprint and signed link, so rows keep their keys;
///   PostgreSQL's identity counters are then moved past them.
/// - **Atomic, verified before it commits**: the source is read in one snapshot; the destination is replaced,
///   read back and compared with the source in one transaction, which a difference rolls back.
/// - **Repeatable, never over a live destination**: the copy leaves its digest in the destination
///   (`daemon_state`, `copy:digest`). A destination is replaced only when it is empty or still exactly that
///   copy; one that changed since (a webhook, a comp grant, a sign-in) has been serving on its own, and
///   replacing it would lose that and hand its grant ids (already in e-mailed links) to other buyers.
public enum StoreCopy {
    /// Every table, parents before children (foreign keys), and whether its `id` is a counter the database
    /// assigns (`INTEGER PRIMARY KEY`, an identity column on PostgreSQL).
    static let tables: [(name: String, counted: Bool)] = [
        ("buyers", true), ("orders", true), ("grants", true), ("webhook_events", true), ("pending_reversals", true),
        ("outbox", true), ("daemon_state", false), ("checkouts", true), ("progress", false), ("sessions", false),
        ("session_sightings", false), ("subscription_states", false), ("payment_aliases", false),
        ("rate_counters", false),
    ]
    static let marker = "copy:digest"

    /// One table as both stores hold it after the copy.
    public struct TableSummary: Sendable, Equatable {
        public var name: String
        public var rows: Int
        /// SHA-256 of every row, in the bytes' order of their encodings (no collation of either engine).
        public var digest: String
    }

    public struct Summary: Sendable, Equatable {
        public var tables: [TableSummary]
        /// Sums the creator can check by eye: every order's amount and what was refunded of them.
        public var amount: Int64
        public var refunded: Int64

        /// One digest of the whole store, kept in the copy.
        var digest: String {
            Hex.string(SHA256.hash(data: Data(tables.map { "\($0.name):\($0.rows):\($0.digest)" }.joined().utf8)))
        }
    }

    /// Copies `source` into `destination`; returns what both now hold (verified equal).
    @discardableResult
    public static func copy(from source: Store, to destination: Store) throws -> Summary {
        let rows = try source.read { db in try tables.map { try rowsOf($0.name, db) } }
        let copied = try summary(rows)
        try destination.write { db in
            let present = try tables.map { try rowsOf($0.name, db) }
            let kept = try String.fetchOne(
                db, sql: "SELECT value FROM daemon_state WHERE key = ?", arguments: [marker])
            var replaceable = present.allSatisfy(\.isEmpty)
            if !replaceable, let kept { replaceable = try summary(present).digest == kept }
            guard replaceable else {
                throw LecternError(
                    .store, file: destination.engine.description,
                    "the destination is not empty and has changed since it was copied: it has been serving on its own",
                    hint: "copy into an empty database (or one only ever changed by this copy); to combine two "
                        + "live stores, stop one and copy the other")
            }
            for table in tables.reversed() { try db.execute(sql: "DELETE FROM \(table.name)") }
            for (table, tableRows) in zip(tables, rows) {
                try insert(tableRows, into: table.name, db)
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
            let landed = try summary(tables.map { try rowsOf($0.name, db) })
            guard landed == copied else {
                let differing = zip(copied.tables, landed.tables).first { $0 != $1 }.map { $0.0.name } ?? "sums"
                throw LecternError(
                    .store, file: destination.engine.description,
                    "the copy read back differs from its source in \(differing); nothing was changed",
                    hint: "a value one engine cannot hold as the other does; report it with the table's name")
            }
            try db.execute(
                sql: "INSERT INTO daemon_state (key, value) VALUES (?, ?)", arguments: [marker, copied.digest])
        }
        return copied
    }

    /// Row counts, digests and sums of a store, read in one snapshot.
    public static func summary(of store: Store) throws -> Summary {
        try summary(store.read { db in try tables.map { try rowsOf($0.name, db) } })
    }

    /// A table's rows, the copy's own marker left out.
    static func rowsOf(_ table: String, _ db: any SQLDatabase) throws -> [SQLRow] {
        table == "daemon_state"
            ? try SQLRow.fetchAll(db, sql: "SELECT * FROM daemon_state WHERE key <> ?", arguments: [marker])
            : try SQLRow.fetchAll(db, sql: "SELECT * FROM \(table)")
    }

    /// Rows in batches (one round trip each on PostgreSQL), within both engines' parameter limits.
    static func insert(_ rows: [SQLRow], into table: String, _ db: any SQLDatabase) throws {
        guard let columns = rows.first?.columns else { return }
        let names = columns.joined(separator: ", ")
        let marks = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        let batch = max(1, 4_000 / columns.count)
        for start in stride(from: 0, to: rows.count, by: batch) {
            let slice = rows[start..<min(start + batch, rows.count)]
            try db.execute(
                sql: "INSERT INTO \(table) (\(names)) VALUES "
                    + Array(repeating: marks, count: slice.count).joined(separator: ", "),
                arguments: SQLArguments(slice.flatMap(\.values)))
        }
    }

    static func summary(_ rows: [[SQLRow]]) throws -> Summary {
        var amount: Int64 = 0
        var refunded: Int64 = 0
        var summaries: [TableSummary] = []
        for (table, tableRows) in zip(tables, rows) {
            var hash = SHA256()
            for encoded in tableRows.map(encode).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                encoded.withUnsafeBytes { hash.update(bufferPointer: $0) }
            }
            summaries.append(TableSummary(name: table.name, rows: tableRows.count, digest: Hex.string(hash.finalize())))
            guard table.name == "orders" else { continue }
            for row in tableRows {
                // Overflow-checked: the sums are of stored values, whatever wrote them.
                let (paid, overPaid) = amount.addingReportingOverflow(row["amount"] as Int64? ?? 0)
                let (back, overBack) = refunded.addingReportingOverflow(row["refunded_amount"] as Int64? ?? 0)
                guard !overPaid, !overBack else { throw LecternError(.store, "the orders' sums overflow") }
                (amount, refunded) = (paid, back)
            }
        }
        return Summary(tables: summaries, amount: amount, refunded: refunded)
    }

    /// A row as bytes that mean one thing: each column's name, type and length-prefixed value.
    static func encode(_ row: SQLRow) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        for (column, value) in zip(row.columns, row.values) {
            out += column.utf8
            switch value {
            case .null: out += "=n;".utf8
            case .integer(let number): out += "=i\(number);".utf8
            case .real(let number): out += "=r\(number);".utf8
            case .text(let text):
                out += "=t\(text.utf8.count):".utf8
                out += text.utf8
            case .blob(let data):
                out += "=b\(data.count):".utf8
                out += data
            }
        }
        return out
    }
}
