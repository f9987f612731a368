import Foundation
import LecternCore
import LecternStore

extension Store {
    /// The environment variable that names the database when `--db` does not.
    public static let databaseURLVariable = "LECTERN_DATABASE_URL"

    /// The store at `location`: a `postgres://` URL (several nodes sharing PostgreSQL), or an SQLite file's
    /// path (the default, `lectern.sqlite` beside `lectern.toml`).
    public static func open(
        _ location: String, busyTimeout: TimeInterval = 5,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Store {
        if PostgresLocation.isURL(location) {
            return Store(engine: try PostgresEngine(try PostgresLocation(url: location, environment: environment)))
        }
        return try Store(path: location, busyTimeout: busyTimeout)
    }

    /// Whether `location` may be opened without making a new, empty database: a URL (the server says), or an
    /// SQLite file that exists.
    public static func exists(_ location: String) -> Bool {
        PostgresLocation.isURL(location) || FileManager.default.fileExists(atPath: location)
    }

    /// `--db`, else `LECTERN_DATABASE_URL`, else the site's own SQLite file.
    public static func location(
        option: String?, default path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let option, !option.isEmpty { return option }
        if let url = environment[databaseURLVariable], !url.isEmpty { return url }
        return path
    }
}
