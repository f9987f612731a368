import Foundation
import GRDB
import LecternCore

/// The embedded engine: one SQLite file (default `lectern.sqlite` beside `lectern.toml`) through GRDB.
///
/// WAL mode so readers (CLI, gate) never block the writer, foreign keys on, and `synchronous = FULL`: a
/// webhook is acknowledged only after its transaction is on disk, so a power cut cannot lose an event the
/// provider will not resend. A `DatabasePool`: one writer connection plus concurrent readers, so the gate's
/// grant checks run on all cores while a webhook commits. Writes begin IMMEDIATE: the write lock is taken
/// at BEGIN, so another process's writer (`lectern revoke`) makes this one wait, never fail half-way.
public final class SQLiteEngine: StoreEngine {
    public let path: String
    let pool: DatabasePool

    public var description: String { path }
    public var dialect: SQLDialect { .sqlite }

    /// - Parameter busyTimeout: how long a write waits for a lock another process holds before it fails
    ///   (and the webhook is answered 503, to be retried).
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        self.path = path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // DatabasePool sets WAL itself; FULL makes each commit durable before it returns.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            try Self.restrictPermissions(path)
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            for migration in Store.migrations {
                migrator.registerMigration(migration.identifier) { db in try migration.apply(SQLiteDatabase(db)) }
            }
            try migrator.migrate(pool)
        } catch {
            throw LecternError(
                .store, file: path, "cannot open the database (\(error))",
                hint: "check the permissions of the file and of its `-wal` and `-shm` files beside it (a start "
                    + "refused on a read-only database can leave `-shm` read-only: make all three writable by "
                    + "this user); `--db PATH` picks another file")
        }
    }

    /// The database holds buyers' addresses and grants: owner-only (0600). Creating the file first with
    /// that mode matters because SQLite gives its `-wal` and `-shm` files the main file's mode; files
    /// made 0644 by an older version are tightened here too.
    static func restrictPermissions(_ path: String) throws {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor) }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
    }

    public func write<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(SQLiteDatabase(db))
                return .commit
            }
            guard let result else { throw LecternError(.store, "a write finished without its result") }
            return result
        }
    }

    public func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try pool.read { try body(SQLiteDatabase($0)) }
    }

    /// Without a surrounding transaction: one statement, which SQLite runs atomically anyway. Saves the
    /// BEGIN/COMMIT pair on the gate's per-request grant check.
    public func readOneStatement<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try pool.unsafeRead { try body(SQLiteDatabase($0)) }
    }

    /// The store's own health (full, locked, read-only, I/O), not a constraint a statement broke.
    /// SQLite has one writer anyway: an ordinary write.
    public func writeOneStatement<T>(_ body: (any SQLDatabase) throws -> T) throws -> T { try write(body) }

    public func isDatabaseError(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode != .SQLITE_CONSTRAINT && error.resultCode != .SQLITE_MISMATCH
    }

    /// Nanoseconds since 1970 a change must be older than before a cache may fill (see `changeStamp`).
    public static let settle: Int64 = 50_000_000

    /// "The database changed" is read from the files: in WAL mode every commit, by this process or another
    /// (`lectern revoke`), appends to `<db>-wal`, and a checkpoint rewrites the main file, so the two files'
    /// size and mtime form a stamp. File times are coarse (one kernel tick, ≤ 10 ms), so two commits in one
    /// tick could share a stamp: it is settled only when the newest change is older than `settle`, after
    /// which any later commit necessarily gets a newer time.
    public func changeStamp() -> ChangeStamp? {
        guard let wal = FileIdentity(path: path + "-wal"), let main = FileIdentity(path: path) else { return nil }
        let newest = max(wal.modified, main.modified)
        // The real clock: the comparison is with file times. Overflow-checked: a file dated far off can push
        // its time to the limits.
        let nowNanos = Int64(Date().timeIntervalSince1970 * 1e9)
        let (age, overflow) = nowNanos.subtractingReportingOverflow(newest)
        return ChangeStamp(
            parts: [wal, main].flatMap {
                [Int64(bitPattern: $0.device), Int64(bitPattern: $0.inode), $0.size, $0.modified]
            },
            settled: !overflow && age > Self.settle)
    }
}

/// A GRDB connection as the store's `SQLDatabase`. Statements with arguments are compiled once per
/// connection: the webhook writer runs the same few thousands of times, and compiling (with GRDB's
/// authorizer) was a large share of the single writer's time.
final class SQLiteDatabase: SQLDatabase {
    let db: Database
    var dialect: SQLDialect { .sqlite }
    var changesCount: Int { db.changesCount }

    init(_ db: Database) { self.db = db }

    func execute(sql: String, arguments: SQLArguments) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func fetchRows(sql: String, arguments: SQLArguments) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        let columns = statement.columnNames
        return try Row.fetchAll(statement, arguments: Self.arguments(arguments)).map { row in
            SQLRow(columns: columns, values: row.databaseValues.map(Self.value))
        }
    }

    func executeScript(_ sql: String) throws { try db.execute(sql: sql) }

    func inSavepoint(_ body: () throws -> Bool) throws {
        try db.inSavepoint { try body() ? .commit : .rollback }
    }

    static func arguments(_ arguments: SQLArguments) -> StatementArguments {
        StatementArguments(
            arguments.values.map { value -> DatabaseValue in
                switch value {
                case .null: return .null
                case .integer(let number): return number.databaseValue
                case .real(let number): return number.databaseValue
                case .text(let text): return text.databaseValue
                case .blob(let data): return data.databaseValue
                }
            })
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: return .null
        case .int64(let number): return .integer(number)
        case .double(let number): return .real(number)
        case .string(let text): return .text(text)
        case .blob(let data): return .blob(data)
        }
    }
}
