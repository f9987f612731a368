import Foundation
import GRDB
import LecternCore

/// `lectern backup FILE`: a consistent copy of the live database, safe while lecternd writes.
///
/// SQLite's online backup API copies every page inside one read transaction, so the copy is the
/// database as of one instant (WAL readers do not block the daemon's writer). The copy goes to a
/// temporary file beside the target, is checked with `PRAGMA integrity_check`, synced, and renamed
/// into place: a crash mid-backup never leaves a half-written FILE.
public enum StoreBackup {
    public struct Summary: Sendable, Equatable {
        public var bytes: Int
        public var tables: [String: Int]
    }

    public static func backup(_ store: Store, to destination: URL) throws -> Summary {
        guard let engine = store.engine as? SQLiteEngine else {
            throw LecternError(
                .store, file: destination.path, "`lectern backup` copies an SQLite database; this one is PostgreSQL",
                hint: "use `pg_dump` for a copy, and your provider's point-in-time recovery or a streaming replica "
                    + "(docs/deploy/several-nodes.md)")
        }
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())")
        try? FileManager.default.removeItem(at: temporary)
        do {
            // A backup holds every buyer's address: owner-only, like the database itself.
            try SQLiteEngine.restrictPermissions(temporary.path)
            let copy = try DatabaseQueue(path: temporary.path)
            try engine.pool.backup(to: copy)
            let summary = try copy.writeWithoutTransaction { db -> Summary in
                let check = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                guard check == ["ok"] else {
                    throw LecternError(
                        .store, file: destination.path,
                        "the copy failed its integrity check: \(check.prefix(3).joined(separator: "; "))")
                }
                // A standalone file: fold the copy's WAL back in so FILE alone is the whole backup.
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                var tables: [String: Int] = [:]
                for table in ["buyers", "orders", "grants", "webhook_events", "outbox"] {
                    tables[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
                }
                return Summary(bytes: 0, tables: tables)
            }
            try copy.close()
            let handle = try FileHandle(forUpdating: temporary)
            try handle.synchronize()
            try handle.close()
            if rename(temporary.path, destination.path) != 0 {
                throw LecternError(.store, file: destination.path, "cannot move the backup into place (errno \(errno))")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: destination.path)[.size] as? Int) ?? 0
            return Summary(bytes: size, tables: summary.tables)
        } catch let error as LecternError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw LecternError(
                .store, file: destination.path, "backup failed (\(error))",
                hint: "check the folder exists and is writable")
        }
    }
}
