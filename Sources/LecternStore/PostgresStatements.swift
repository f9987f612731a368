import Foundation

/// The PostgreSQL engine's own statements — transactions, the advisory locks, notifications, session settings
/// and the migrations' bookkeeping — kept here with every other statement of Lectern; `LecternPostgres` only
/// runs them. (SQLite's equivalents are GRDB's.)
public enum PostgresStatements {
    /// The advisory locks' keys (one 64-bit space per database): ASCII "LECTERN" and a role.
    static let writerLock: Int64 = 0x4C45_4354_4552_4E01
    static let migrationLock: Int64 = 0x4C45_4354_4552_4E02
    /// The channel every write transaction notifies at COMMIT and every node listens on.
    public static let changeChannel = "lectern_changes"

    /// READ COMMITTED whatever the server's default: each statement after the lock sees every commit made before
    /// it was granted (a REPEATABLE READ snapshot would be older than the lock).
    public static let beginWrite = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
    /// One writer at a time across every node, until COMMIT or ROLLBACK.
    public static let lockWriters = "SELECT pg_advisory_xact_lock(\(writerLock))"
    public static let notifyChange = "NOTIFY \(changeChannel)"
    public static let listenForChanges = "LISTEN \(changeChannel)"
    public static let beginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    public static let begin = "BEGIN"
    public static let commit = "COMMIT"
    public static let rollback = "ROLLBACK"
    public static func savepoint(_ name: String) -> String { "SAVEPOINT \(name)" }
    public static func release(_ name: String) -> String { "RELEASE SAVEPOINT \(name)" }
    public static func rollback(to name: String) -> String { "ROLLBACK TO SAVEPOINT \(name)" }

    /// Whether the server is a standby (not accepting writes).
    public static let isStandby = "SELECT pg_is_in_recovery()"
    /// A connection's settings, in one round trip (arguments: the statement and idle-in-transaction
    /// timeouts, in milliseconds as text).
    public static let sessionSettings = """
        SELECT set_config('synchronous_commit', 'on', false),
          set_config('statement_timeout', ?, false),
          set_config('idle_in_transaction_session_timeout', ?, false)
        """
    /// For the migrations' connection: a migration (or the wait for another node's) may take long.
    public static let noTimeouts = """
        SELECT set_config('statement_timeout', '0', false),
          set_config('idle_in_transaction_session_timeout', '0', false)
        """
    public static let lockMigrations = "SELECT pg_advisory_lock(\(migrationLock))"
    public static let unlockMigrations = "SELECT pg_advisory_unlock(\(migrationLock))"
    public static let migrationsTable =
        "CREATE TABLE IF NOT EXISTS lectern_migrations (identifier TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    public static let appliedMigrations = "SELECT identifier FROM lectern_migrations"
    public static let recordMigration = "INSERT INTO lectern_migrations (identifier, applied_at) VALUES (?, ?)"
}
