import Foundation

/// A database the store runs on: SQLite through GRDB (`SQLiteEngine`, the embedded default) or PostgreSQL
/// (`LecternPostgres`, several daemons sharing one database). The store's statements are the same on both;
/// an engine supplies connections, transactions and a way to tell that the data changed.
public protocol StoreEngine: Sendable {
    /// The file, or the server and database name (never a password): for messages.
    var description: String { get }
    var dialect: SQLDialect { get }
    /// One write transaction, durable when it returns. Writers are serialized (one at a time across every
    /// process sharing the database), so a read-then-write inside one sees no other writer in between.
    func write<T>(_ body: (any SQLDatabase) throws -> T) throws -> T
    /// Reads that see one consistent state of the database.
    func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T
    /// One statement, without the cost of a surrounding transaction (the gate's grant lookups).
    func readOneStatement<T>(_ body: (any SQLDatabase) throws -> T) throws -> T
    /// One write that is atomic by itself, needs no other writer kept out, and changes nothing a cache reads
    /// (a rate counter): durable on return, but on PostgreSQL without the writers' lock or a NOTIFY.
    func writeOneStatement<T>(_ body: (any SQLDatabase) throws -> T) throws -> T
    /// What changes whenever any process commits: caches keep what they read while it stays equal, and
    /// fill only when it says they may. nil: no cache is safe now.
    func changeStamp() -> ChangeStamp?
    /// Whether an error is the database's (full, locked, unreachable) rather than a caller's own.
    func isDatabaseError(_ error: any Error) -> Bool
}

/// See `StoreEngine.changeStamp()`.
public struct ChangeStamp: Sendable, Equatable {
    public var parts: [Int64]
    /// False while a commit could still land without changing `parts` (SQLite's coarse file times).
    public var settled: Bool

    public init(parts: [Int64], settled: Bool) {
        self.parts = parts
        self.settled = settled
    }

    public static func == (left: ChangeStamp, right: ChangeStamp) -> Bool { left.parts == right.parts }
}
