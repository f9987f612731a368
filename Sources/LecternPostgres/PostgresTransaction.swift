import Foundation
import LecternCore
import LecternStore
import Logging
import NIOCore
import PostgresNIO

/// One PostgreSQL connection as the store's `SQLDatabase`, used from one thread at a time.
///
/// The store's transactions are synchronous (they were written for SQLite, whose calls return at once),
/// so each round trip here waits for postgres-nio's future. That wait is never on one of NIO's event
/// loops (they answer it) and is bounded by `timeout`: a server that stops answering fails the statement
/// and the connection is closed, instead of holding the caller forever.
final class PostgresTransaction: SQLDatabase {
    let connection: PostgresConnection
    let logger: Logger
    let timeout: TimeAmount
    private(set) var changesCount = 0
    /// Set when the connection's state is unknown: it goes back to no pool.
    private(set) var broken = false
    private var savepoints = 0

    var dialect: SQLDialect { .postgres }

    init(connection: PostgresConnection, logger: Logger, timeout: TimeAmount) {
        (self.connection, self.logger, self.timeout) = (connection, logger, timeout)
    }

    func execute(sql: String, arguments: SQLArguments) throws -> Int {
        let result = try run(sql, arguments)
        changesCount = result.metadata.rows ?? 0
        return changesCount
    }

    func fetchRows(sql: String, arguments: SQLArguments) throws -> [SQLRow] {
        let result = try run(sql, arguments)
        return try result.rows.map { row in
            var columns: [String] = []
            var values: [SQLValue] = []
            for cell in row {
                columns.append(cell.columnName)
                values.append(try Self.value(cell))
            }
            return SQLRow(columns: columns, values: values)
        }
    }

    /// Statements one by one (the extended protocol takes one at a time); the store's DDL has no `;`
    /// inside a literal.
    func executeScript(_ sql: String) throws {
        for statement in sql.split(separator: ";") {
            let text = statement.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { _ = try run(text, []) }
        }
    }

    func inSavepoint(_ body: () throws -> Bool) throws {
        savepoints += 1
        defer { savepoints -= 1 }
        let name = "s\(savepoints)"
        _ = try run("SAVEPOINT \(name)", [])
        let keep: Bool
        do {
            keep = try body()
        } catch {
            _ = try run("ROLLBACK TO SAVEPOINT \(name)", [])
            throw error
        }
        _ = try run(keep ? "RELEASE SAVEPOINT \(name)" : "ROLLBACK TO SAVEPOINT \(name)", [])
    }

    /// Ends a failed transaction; a connection that cannot even do that is marked broken.
    func rollBack() {
        guard !broken, !connection.isClosed else {
            broken = true
            return
        }
        do { _ = try run("ROLLBACK", []) } catch { broken = true }
    }

    func run(_ sql: String, _ arguments: SQLArguments) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: arguments.values.count)
        for value in arguments.values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .blob(let data): bindings.append(ByteBuffer(bytes: data))
            }
        }
        let query = PostgresQuery(unsafeSQL: PlaceholderNumbering.numbered(sql), binds: bindings)
        do {
            return try wait(connection.query(query, logger: logger))
        } catch let error as PSQLError {
            throw PostgresEngineError.server(PostgresEngine.explain(error))
        }
    }

    /// Waits for `future` at most `timeout`, and no longer than its connection lives: postgres-nio does not
    /// fail a query whose connection closed under it (a server restarted, a primary lost), so the wait looks
    /// every 50 ms, and a node's group commit moves on in that time instead of the whole timeout. A
    /// connection that closed or timed out is marked broken (closed, never pooled again).
    func wait(_ future: EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult {
        let answered = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<PostgresQueryResult, any Error>?>(nil)
        future.whenComplete { result in
            outcome.withLock { $0 = result }
            answered.signal()
        }
        let deadline = DispatchTime.now() + .nanoseconds(Int(timeout.nanoseconds))
        while answered.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if connection.isClosed {
                broken = true
                throw PostgresEngineError.connectionLost
            }
            if DispatchTime.now() >= deadline {
                broken = true
                connection.closeQuietly()
                throw PostgresEngineError.timedOut
            }
        }
        guard let result = outcome.withLock({ $0 }) else { throw PostgresEngineError.connectionLost }
        return try result.get()
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric:
            // SUM of BIGINT is NUMERIC in PostgreSQL; the store's sums are whole numbers of minor units.
            let number = try cell.decode(Decimal.self)
            let whole = NSDecimalNumber(decimal: number)
            if let integer = Int64(exactly: whole.doubleValue), Decimal(integer) == number { return .integer(integer) }
            return .real(whole.doubleValue)
        case .bytea:
            let buffer = try cell.decode(ByteBuffer.self)
            return .blob(Data(buffer.readableBytesView))
        case .void: return .null
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// `?` → `$1`, `$2`, … outside quoted text and identifiers: the store writes SQLite's placeholders once
/// for both engines. Kept per statement text (the store has a few dozen).
enum PlaceholderNumbering {
    private static let cache = Locked<[String: String]>([:])

    static func numbered(_ sql: String) -> String {
        if let hit = cache.withLock({ $0[sql] }) { return hit }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        cache.withLock { $0[sql] = out }
        return out
    }
}

/// What the PostgreSQL engine itself reports (the server's own errors are postgres-nio's `PSQLError`).
public enum PostgresEngineError: Error, CustomStringConvertible {
    case timedOut
    case poolClosed
    /// No server of the location accepts writes (all down, or all standbys).
    case noPrimary
    /// The connection closed while a statement waited for its answer.
    case connectionLost
    /// The server refused a statement: its message and SQLSTATE (never the statement's values).
    case server(String)

    public var description: String {
        switch self {
        case .timedOut: "the PostgreSQL server did not answer in time"
        case .poolClosed: "the store is closed"
        case .noPrimary: "no PostgreSQL server of the location accepts writes"
        case .connectionLost: "the connection to PostgreSQL closed"
        case .server(let message): "PostgreSQL: \(message)"
        }
    }
}

extension PostgresConnection {
    /// Closes without waiting (postgres-nio's `close()` has a future and an async form). The callback holds
    /// the connection until it is closed: postgres-nio requires a connection be closed before it is freed.
    func closeQuietly() {
        let closing: EventLoopFuture<Void> = close()
        closing.whenComplete { _ in withExtendedLifetime(self) {} }
    }
}
