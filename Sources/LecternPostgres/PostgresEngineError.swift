import Foundation

/// What the PostgreSQL engine itself reports (the server's own errors are postgres-nio's `PSQLError`).
public enum PostgresEngineError: Error, CustomStringConvertible {
    case timedOut
    case poolClosed
    /// No server of the location accepts writes (all down, or all standbys).
    case noPrimary
    /// The connection closed while a statement waited for its answer.
    case connectionLost
    /// A statement of the store whose `?` count is not its arguments' (a bug in the store, caught unsent).
    case placeholders(Int, Int)
    /// The server refused a statement: its message and SQLSTATE (never the statement's values).
    case server(String, sqlState: String)

    public var description: String {
        switch self {
        case .timedOut: "the PostgreSQL server did not answer in time"
        case .poolClosed: "the store is closed"
        case .noPrimary: "no PostgreSQL server of the location accepts writes"
        case .connectionLost: "the connection to PostgreSQL closed"
        case .placeholders(let marks, let values): "a statement with \(marks) placeholders was given \(values) values"
        case .server(let message, _): "PostgreSQL: \(message)"
        }
    }
}
