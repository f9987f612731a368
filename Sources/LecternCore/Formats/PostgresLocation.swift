import Foundation

/// `postgres://user[:password]@host[:port][,host2[:port2]…]/database[?sslmode=disable|require]` (or
/// `postgresql://`), as `--db` and `LECTERN_DATABASE_URL` give it: checked whole before anything connects,
/// so a typo is a message with a hint, not a hang or a crash. The password may also come from `PGPASSWORD`.
///
/// Several hosts name a primary and its standbys, as libpq's `target_session_attrs=read-write`: the engine
/// connects to the first that accepts writes, so after a standby is promoted the nodes find it themselves.
public struct PostgresLocation: Sendable, Equatable {
    public enum TLSMode: String, Sendable { case disable, require }

    public struct Server: Sendable, Equatable {
        public var host: String
        public var port: Int
    }

    public var servers: [Server]
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Whether `text` names a PostgreSQL database rather than an SQLite file.
    public static func isURL(_ text: String) -> Bool {
        text.contains("://")
    }

    /// Why a URL was refused. Fixed texts on purpose: nothing of the URL is repeated back, since a password
    /// typed with a `/`, `?` or `@` unescaped can land in any part of it.
    public enum Problem: String, Sendable, CaseIterable {
        case scheme = "only postgres:// or postgresql:// URLs name a database"
        case hosts = "between one and eight hosts, separated by commas"
        case host = "a host is missing or malformed"
        case port = "a port is out of range (1–65535)"
        case user = "no user before the @ (or one with spaces or control characters)"
        case database = "no database name after the hosts (or one longer than 63 bytes, with spaces or a /)"
        case option = "an option other than sslmode=disable or sslmode=require"
    }

    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func invalid(_ problem: Problem) -> LecternError {
            LecternError(
                .store, "the database URL is not usable: \(problem.rawValue)",
                hint: "write it as postgres://USER@HOST:PORT/DATABASE (password in PGPASSWORD, or "
                    + "postgres://USER:PASSWORD@HOST/DATABASE; add ?sslmode=require for a server across a network)")
        }
        // URLComponents reads one host: the list between "@" and the path is taken out first, and each
        // entry read as a URL of its own.
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"), let schemeEnd = text.range(of: "://")
        else { throw invalid(.scheme) }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let at = authority.lastIndex(of: "@")
        let hostList = at.map { authority[authority.index(after: $0)...] } ?? authority
        let userInfo = at.map { String(authority[..<$0]) + "@" } ?? ""
        let entries = hostList.split(separator: ",", omittingEmptySubsequences: false)
        guard (1...8).contains(entries.count) else { throw invalid(.hosts) }
        var servers: [Server] = []
        for entry in entries {
            guard let parts = URLComponents(string: "postgres://\(entry)"), let host = parts.host, !host.isEmpty,
                host.utf8.count <= 253, host.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0 != "/" })
            else { throw invalid(.host) }
            let port = parts.port ?? 5432
            guard (1...65_535).contains(port) else { throw invalid(.port) }
            servers.append(Server(host: host, port: port))
        }
        let first = "postgres://\(userInfo)\(entries[0])\(rest[authorityEnd...])"
        guard let components = URLComponents(string: first) else { throw invalid(.scheme) }
        // Names go into messages and logs (`description`): no control characters or spaces in them.
        func plain(_ name: String) -> Bool {
            !name.isEmpty && name.utf8.count <= 63
                && !name.unicodeScalars.contains {
                    $0.properties.generalCategory == .control || $0.properties.isWhitespace
                }
        }
        guard let user = components.user, plain(user) else { throw invalid(.user) }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard plain(database), !database.contains("/") else {
            throw invalid(.database)
        }
        var tls = TLSMode.disable
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"?): tls = .disable
            case ("sslmode", "require"?), ("sslmode", "verify-full"?): tls = .require
            default: throw invalid(.option)
            }
        }
        (self.servers, self.user, self.database, self.tls) = (servers, user, database, tls)
        password = components.password ?? environment["PGPASSWORD"]
    }

    /// The location without its password: what messages and logs may show.
    public var description: String {
        "postgres://\(user)@\(servers.map { "\($0.host):\($0.port)" }.joined(separator: ","))/\(database)"
    }
}
