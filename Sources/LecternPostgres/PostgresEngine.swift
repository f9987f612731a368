import Foundation
import LecternCore
import LecternStore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The store on PostgreSQL: several lecternd nodes (and the creator's CLI) sharing one database.
///
/// Semantics are SQLite's, on purpose, so the store's statements need no second thought per engine:
/// - **One writer at a time, across every node**: each write transaction takes one transaction-scoped
///   advisory lock first (`pg_advisory_xact_lock`), as SQLite's `BEGIN IMMEDIATE` takes its write lock.
///   A read-then-write (an outbox claim, a single-use checkout claim, a subscription's newer state)
///   therefore sees no other writer in between, on any node. Group commit (`GroupCommit`) batches a
///   node's webhooks into one such transaction, as on SQLite.
/// - **Durable on return**: `synchronous_commit = on` for every connection; a webhook is acknowledged
///   after COMMIT returned.
/// - **Consistent reads**: several statements read in one REPEATABLE READ, READ ONLY transaction.
/// - **Changes told to every node**: each write transaction ends with `NOTIFY lectern_changes`, delivered
///   at COMMIT; a listening connection per node raises the generation `changeStamp` reports, so grant caches
///   drop what a refund on another node changed (see `ChangeListener`).
public final class PostgresEngine: StoreEngine, @unchecked Sendable {
    // @unchecked: `idle` and `open` are only touched under `available`.
    public let location: PostgresLocation
    /// One per server of the location, tried in order from the one that last accepted writes.
    let configurations: [PostgresConnection.Configuration]
    private let preferred = Locked(0)
    let logger: Logger
    let group: any EventLoopGroup
    let timeout: TimeAmount
    let poolSize: Int
    private let available = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var closed = false
    private var listener: ChangeListener?

    public var description: String { location.description }
    public var dialect: SQLDialect { .postgres }

    /// Connects, runs the migrations this database lacks (one node at a time), and starts listening for
    /// other nodes' commits.
    /// - Parameters:
    ///   - poolSize: connections kept open at most (each request waiting for the store holds one).
    ///   - timeout: longest wait for one statement's answer before it fails and its connection closes.
    public init(
        _ location: PostgresLocation, poolSize: Int = 8, timeout: TimeInterval = 15,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.location = location
        self.group = group
        self.poolSize = max(1, poolSize)
        self.timeout = .milliseconds(Int64(max(0.1, timeout) * 1000))
        var logger = Logger(label: "lectern.postgres")
        logger.logLevel = .critical
        self.logger = logger
        do {
            let tls: PostgresConnection.Configuration.TLS =
                location.tls == .require
                ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
            configurations = location.servers.map { server in
                var configuration = PostgresConnection.Configuration(
                    host: server.host, port: server.port, username: location.user, password: location.password,
                    database: location.database, tls: tls)
                // A server that does not answer is passed over quickly for the next one.
                configuration.options.connectTimeout = .seconds(3)
                return configuration
            }
            try migrate()
            listener = ChangeListener(engine: self)
        } catch {
            throw LecternError(
                .store, "cannot open the database \(location.description) (\(Self.explain(error)))",
                hint: "check the server is running and reachable, the user and database exist, and the password "
                    + "(PGPASSWORD or the URL); the database must be empty or Lectern's own")
        }
    }

    deinit { close() }

    /// Closes every connection; later calls fail with `PostgresEngineError.poolClosed`.
    public func close() {
        let connections = available.withLock {
            closed = true
            available.broadcast()  // whoever waits for a connection learns the pool closed
            defer { idle = [] }
            return idle
        }
        listener?.stop()
        for connection in connections { connection.closeQuietly() }
    }

    // MARK: transactions

    public func write<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try withConnection { db in
            _ = try db.run(PostgresStatements.beginWrite, [])
            do {
                _ = try db.run(PostgresStatements.lockWriters, [])
                let result = try body(db)
                _ = try db.run(PostgresStatements.notifyChange, [])
                _ = try db.run(PostgresStatements.commit, [])
                listener?.noteLocalCommit()
                return result
            } catch {
                db.rollBack()
                throw error
            }
        }
    }

    public func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try withConnection { db in
            _ = try db.run(PostgresStatements.beginRead, [])
            do {
                let result = try body(db)
                _ = try db.run(PostgresStatements.commit, [])
                return result
            } catch {
                db.rollBack()
                throw error
            }
        }
    }

    public func readOneStatement<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try withConnection(body)
    }

    /// Autocommit: the statement is its own transaction (durable, `synchronous_commit = on`).
    public func writeOneStatement<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try withConnection(body)
    }

    public func changeStamp() -> ChangeStamp? { listener?.stamp() }

    /// The store's own health, not a statement's: lost or refused connections, no primary, timeouts, and
    /// the server's classes for connections (08), resources (53), operator action (57), system and internal
    /// errors (58, XX) and a read-only server (25006, a standby). A constraint a statement broke is the
    /// caller's error: `/healthz` must not take a node out of the balancer for one bad event.
    public func isDatabaseError(_ error: any Error) -> Bool {
        switch error {
        case PostgresEngineError.server(_, let state):
            return ["08", "53", "57", "58", "XX"].contains(String(state.prefix(2))) || state == "25006"
        case is PostgresEngineError, is PSQLError, is ChannelError, is IOError: return true
        default: return false
        }
    }

    // MARK: connections

    /// A connection to the server that accepts writes: the one that did last, else the others in order. With
    /// one server it is taken as it is (a standby then fails the first write, which is answered 503).
    func connect() throws -> PostgresConnection {
        let first = preferred.withLock { $0 }
        var failure: any Error = PostgresEngineError.noPrimary
        for offset in configurations.indices {
            let index = (first + offset) % configurations.count
            do {
                let connection = try PostgresConnection.connect(
                    on: group.next(), configuration: configurations[index], id: Int.random(in: 0..<Int.max),
                    logger: logger
                ).wait()
                let session = PostgresSession(connection: connection, logger: logger, timeout: timeout)
                do {
                    if configurations.count > 1,
                        try Bool.fetchOne(session, sql: PostgresStatements.isStandby) != false
                    {
                        connection.closeQuietly()
                        failure = PostgresEngineError.noPrimary
                        continue
                    }
                    // Durable commits whatever the server's default; a statement the server itself gives up on
                    // after the same time the client waits; and a transaction left open by a node that vanished
                    // without closing its connection (a machine lost, a network split: no FIN) ends after that
                    // time too, with the writers' lock it held. One round trip.
                    let milliseconds = String(timeout.nanoseconds / 1_000_000)
                    _ = try session.run(PostgresStatements.sessionSettings, [milliseconds, milliseconds])
                } catch {
                    connection.closeQuietly()
                    throw error
                }
                preferred.withLock { $0 = index }
                return connection
            } catch {
                failure = error
            }
        }
        throw failure
    }

    /// A connection for `body`, from the pool or new; one that failed (closed, timed out) is not reused.
    func withConnection<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let connection = try checkOut()
        let db = PostgresSession(connection: connection, logger: logger, timeout: timeout)
        defer { db.broken ? discard(connection) : checkIn(connection) }
        return try body(db)
    }

    private func checkOut() throws -> PostgresConnection {
        available.lock()
        while true {
            if closed {
                available.unlock()
                throw PostgresEngineError.poolClosed
            }
            if let connection = idle.popLast() {
                available.unlock()
                if connection.isClosed {
                    dropped()
                    available.lock()
                    continue
                }
                return connection
            }
            if open < poolSize {
                open += 1
                available.unlock()
                do {
                    return try connect()
                } catch {
                    dropped()
                    throw error
                }
            }
            available.wait()
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        if connection.isClosed { return dropped() }
        available.withLock {
            if closed {
                connection.closeQuietly()
                open -= 1
            } else {
                idle.append(connection)
            }
            available.signal()
        }
    }

    /// A connection in an unknown state (its ROLLBACK failed, an answer timed out): closed, never reused.
    private func discard(_ connection: PostgresConnection) {
        connection.closeQuietly()
        dropped()
    }

    private func dropped() {
        available.withLock {
            open -= 1
            available.signal()
        }
    }

    // MARK: migrations

    /// The store's migrations this database lacks, each in its own transaction, under a session advisory
    /// lock: nodes starting together wait for the first, then find nothing left to do.
    func migrate() throws {
        let connection = try connect()
        defer { connection.closeQuietly() }
        let db = PostgresSession(connection: connection, logger: logger, timeout: .seconds(3_600))
        // A migration (or the wait for another node's) may take longer than a request's statement.
        _ = try db.run(PostgresStatements.noTimeouts, [])
        _ = try db.run(PostgresStatements.lockMigrations, [])
        _ = try db.run(PostgresStatements.migrationsTable, [])
        let applied = Set(try String.fetchAll(db, sql: PostgresStatements.appliedMigrations))
        for migration in Store.migrations where !applied.contains(migration.identifier) {
            _ = try db.run(PostgresStatements.begin, [])
            do {
                try migration.apply(db)
                try db.execute(
                    sql: PostgresStatements.recordMigration,
                    arguments: [migration.identifier, Store.timestamp(Date())])
                _ = try db.run(PostgresStatements.commit, [])
            } catch {
                _ = try? db.run(PostgresStatements.rollback, [])
                throw LecternError(.store, "migration \(migration.identifier) failed: \(Self.explain(error))")
            }
        }
        _ = try db.run(PostgresStatements.unlockMigrations, [])
    }

    /// The server's own message (postgres-nio's `PSQLError` prints a generic one by default).
    static func explain(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return error.serverInfo?[.sqlState].map { "\(message) [\($0)]" } ?? message
        }
        // A connection's failure: the code and the socket's own error (an address and errno, no secret).
        return error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)"
    }
}
