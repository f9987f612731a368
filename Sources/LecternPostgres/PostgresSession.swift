import Foundation
import LecternCore
import LecternStore
import Logging
import NIOCore
import PostgresNIO

/// One PostgreSQL connection as the store's `SQLDatabase`, used from one thread at a time: inside a
/// transaction the engine opened, or alone (one statement, the migrations, the change listener).
///
/// The store's transactions are synchronous (they were written for SQLite, whose calls return at once),
/// so each round trip here waits for postgres-nio's future. That wait is never on one of NIO's event
/// loops (they answer it) and is bounded by `timeout`: a server that stops answering fails the statement
/// and the connection is closed, instead of holding the caller forever.
final class PostgresSession: SQLDatabase {
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
        _ = try run(PostgresStatements.savepoint(name), [])
        let keep: Bool
        do {
            keep = try body()
        } catch {
            _ = try run(PostgresStatements.rollback(to: name), [])
            throw error
        }
        _ = try run(keep ? PostgresStatements.release(name) : PostgresStatements.rollback(to: name), [])
    }

    /// Ends a failed transaction; a connection that cannot even do that is marked broken.
    func rollBack() {
        guard !broken, !connection.isClosed else {
            broken = true
            return
        }
        do { _ = try run(PostgresStatements.rollback, []) } catch { broken = true }
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
        let query = PostgresQuery(
            unsafeSQL: try PlaceholderNumbering.numbered(sql, arguments: arguments.values.count), binds: bindings)
        do {
            return try wait(connection.query(query, logger: logger))
        } catch let error as PSQLError {
            guard let state = error.serverInfo?[.sqlState] else { throw error }
            throw PostgresEngineError.server(PostgresEngine.explain(error), sqlState: state)
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

extension PostgresConnection {
    /// Closes without waiting (postgres-nio's `close()` has a future and an async form). The callback holds
    /// the connection until it is closed: postgres-nio requires a connection be closed before it is freed.
    func closeQuietly() {
        let closing: EventLoopFuture<Void> = close()
        closing.whenComplete { _ in withExtendedLifetime(self) {} }
    }
}
