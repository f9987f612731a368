import Foundation

/// One connection inside one transaction, whichever engine holds it (`SQLiteEngine`, or PostgreSQL in
/// `LecternPostgres`): every statement of the store is written once, against this.
///
/// The surface is deliberately GRDB's shape (`Int64.fetchOne(db, sql:, arguments:)`, `row["column"]`) so
/// the store reads as it did on GRDB alone. Statements use `?` placeholders; the PostgreSQL engine numbers
/// them. The few spellings the two dialects do not share are named in `SQLDialect`.
public protocol SQLDatabase: AnyObject {
    var dialect: SQLDialect { get }
    /// How many rows the last `execute` inserted, updated or deleted.
    var changesCount: Int { get }
    /// Runs one statement; returns how many rows it inserted, updated or deleted.
    @discardableResult
    func execute(sql: String, arguments: SQLArguments) throws -> Int
    func fetchRows(sql: String, arguments: SQLArguments) throws -> [SQLRow]
    /// Several statements without arguments (a migration's DDL).
    func executeScript(_ sql: String) throws
    /// Runs `body` in a savepoint: kept when it returns true, rolled back when it returns false or throws.
    func inSavepoint(_ body: () throws -> Bool) throws
}

extension SQLDatabase {
    @discardableResult
    public func execute(sql: String) throws -> Int { try execute(sql: sql, arguments: []) }
}

/// Where the two engines' SQL differs. Everything else (ON CONFLICT, RETURNING, CASE, COALESCE, text
/// timestamps) is written once.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// The larger of two values: SQLite's two-argument `MAX`, PostgreSQL's `GREATEST`.
    public var greatest: String { self == .sqlite ? "MAX" : "GREATEST" }

    /// Comma-joined text of a group.
    public func joined(_ expression: String) -> String {
        self == .sqlite ? "group_concat(\(expression))" : "string_agg(\(expression), ',')"
    }
}

/// A value as both engines store it. Timestamps are ISO-8601 text (`Store.timestamp`), booleans integers.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// A Swift type that goes into a statement and comes back out of a row.
public protocol SQLValueConvertible {
    var sqlValue: SQLValue { get }
    /// nil when the stored value is not one of this type (or NULL, for a non-optional type).
    static func fromSQL(_ value: SQLValue) -> Self?
}

extension Int64: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self) }
    public static func fromSQL(_ value: SQLValue) -> Int64? {
        switch value {
        case .integer(let number): return number
        case .real(let number): return Int64(exactly: number)
        default: return nil
        }
    }
}

extension Int: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static func fromSQL(_ value: SQLValue) -> Int? { Int64.fromSQL(value).flatMap { Int(exactly: $0) } }
}

extension Bool: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    public static func fromSQL(_ value: SQLValue) -> Bool? { Int64.fromSQL(value).map { $0 != 0 } }
}

extension Double: SQLValueConvertible {
    public var sqlValue: SQLValue { .real(self) }
    public static func fromSQL(_ value: SQLValue) -> Double? {
        switch value {
        case .real(let number): return number
        case .integer(let number): return Double(number)
        default: return nil
        }
    }
}

extension String: SQLValueConvertible {
    public var sqlValue: SQLValue { .text(self) }
    /// Numbers read as text too, as SQLite converts them (`SELECT id …` read as a string).
    public static func fromSQL(_ value: SQLValue) -> String? {
        switch value {
        case .text(let text): return text
        case .integer(let number): return String(number)
        case .real(let number): return String(number)
        default: return nil
        }
    }
}

extension Data: SQLValueConvertible {
    public var sqlValue: SQLValue { .blob(self) }
    public static func fromSQL(_ value: SQLValue) -> Data? {
        switch value {
        case .blob(let data): return data
        case .text(let text): return Data(text.utf8)
        default: return nil
        }
    }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: SQLValue { map(\.sqlValue) ?? .null }
    public static func fromSQL(_ value: SQLValue) -> Wrapped?? {
        if value == .null { return .some(nil) }
        return Wrapped.fromSQL(value).map { .some($0) }
    }
}

/// A statement's arguments, written as an array literal: `[provider, eventID, rawBody]`.
public struct SQLArguments: ExpressibleByArrayLiteral, Sendable {
    public var values: [SQLValue]

    public init(_ values: [SQLValue]) { self.values = values }

    public init(arrayLiteral elements: (any SQLValueConvertible)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }
}

/// One result row: its values by column name (as the statement names them) or position.
public struct SQLRow: Sendable, Equatable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public func value(_ column: String) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else {
            preconditionFailure("no column \(column) in \(columns): a statement of the store names it wrong")
        }
        return values[index]
    }

    /// A column as `T` (an optional for a column that may be NULL). A stored value of another type is a
    /// bug in the store's own statements, as in GRDB, not something outside input can cause.
    public subscript<T: SQLValueConvertible>(_ column: String) -> T {
        let stored = value(column)
        guard let converted = T.fromSQL(stored) else {
            preconditionFailure("column \(column) holds \(stored), not \(T.self)")
        }
        return converted
    }

    public subscript<T: SQLValueConvertible>(_ index: Int) -> T {
        guard let converted = T.fromSQL(values[index]) else {
            preconditionFailure("column \(index) holds \(values[index]), not \(T.self)")
        }
        return converted
    }

    public static func fetchAll(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        try db.fetchRows(sql: sql, arguments: arguments)
    }

    public static func fetchOne(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        try db.fetchRows(sql: sql, arguments: arguments).first
    }
}

extension SQLValueConvertible {
    /// The first column of every row; rows holding NULL there are left out, as GRDB does.
    public static func fetchAll(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> [Self] {
        try db.fetchRows(sql: sql, arguments: arguments).compactMap { $0.values.first.flatMap(Self.fromSQL) }
    }

    /// The first column of the first row; nil when there is none or it is NULL.
    public static func fetchOne(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> Self? {
        try db.fetchRows(sql: sql, arguments: arguments).first?.values.first.flatMap(Self.fromSQL)
    }
}

/// A record type read from rows by column name.
public protocol SQLRecord {
    init(row: SQLRow)
}

extension SQLRecord {
    public static func fetchAll(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> [Self] {
        try db.fetchRows(sql: sql, arguments: arguments).map(Self.init(row:))
    }
}
