import Foundation
import LecternPostgres
import LecternStore

/// A throwaway PostgreSQL server for the tests: Debian's own binaries, a data folder under the temporary
/// directory, loopback only, trust authentication for user `lectern`, stopped when the test process exits.
/// Started once per process on first use (1–2 s); each test gets a database of its own (`newDatabase()`).
///
/// When `LECTERN_TEST_POSTGRES` names a server (`postgres://lectern@127.0.0.1:PORT`), that one is used
/// instead. PostgreSQL refuses to run as root, and CI runs as root: then the server runs as `postgres`.
public final class PostgresCluster: Sendable {
    public let baseURL: String
    let binaries: URL
    let port: Int

    /// The engine the daemon suite runs on: `LECTERN_TEST_ENGINE=postgres` runs every test that opens a
    /// store or starts lecternd against PostgreSQL instead of SQLite.
    public static var selected: Bool { ProcessInfo.processInfo.environment["LECTERN_TEST_ENGINE"] == "postgres" }

    public static let shared: Result<PostgresCluster, any Error> = Result { try PostgresCluster() }

    /// A new, empty database's URL.
    public static func newDatabase() throws -> String { try shared.get().newDatabase() }

    private init() throws {
        let bin = try Self.findBinaries()
        binaries = bin
        if let given = ProcessInfo.processInfo.environment["LECTERN_TEST_POSTGRES"], !given.isEmpty {
            baseURL = given.hasSuffix("/") ? String(given.dropLast()) : given
            port = URLComponents(string: given)?.port ?? 5432
            return
        }
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lectern-pg-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = try Self.freePort()
        let asRoot = getuid() == 0
        if asRoot { _ = try runProgram("/bin/chown", ["postgres:postgres", folder.path]) }
        // Output to a file, and the server's own tools started with posix_spawn and waited for with waitpid:
        // the server `pg_ctl` leaves running must not hold a pipe of ours open, and Foundation's `Process`
        // learns of an exit on a shared Dispatch thread, which tests waiting here can all be holding.
        func server(_ tool: String, _ arguments: [String]) throws {
            let path = bin.appendingPathComponent(tool).path
            let output = folder.appendingPathComponent("\(tool).out").path
            let status = try spawn(
                asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", path] + arguments : [path] + arguments,
                output: output)
            guard status == 0 else {
                let said = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                throw PostgresClusterError.failed("\(tool) \(arguments.joined(separator: " ")): \(said)")
            }
        }
        let data = folder.appendingPathComponent("data").path
        try server("initdb", ["-D", data, "-U", "lectern", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        try server(
            "pg_ctl",
            [
                "-D", data, "-l", folder.appendingPathComponent("log").path, "-w", "-o",
                "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c max_connections=300",
                "start",
            ])
        Self.stopAtExit(pgCtl: bin.appendingPathComponent("pg_ctl").path, data: data, asRoot: asRoot)
        baseURL = "postgres://lectern@127.0.0.1:\(port)"
    }

    public func newDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let host = URLComponents(string: baseURL)
        let output = NSTemporaryDirectory() + "createdb-\(name).out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let status = try spawn(
            [
                binaries.appendingPathComponent("createdb").path, "-h", host?.host ?? "127.0.0.1", "-p", String(port),
                "-U", host?.user ?? "lectern", String(name),
            ], output: output)
        guard status == 0 else {
            throw PostgresClusterError.failed(
                "createdb: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        }
        return "\(baseURL)/\(name)"
    }

    /// Runs `psql` against `url` (assertions that look at the database itself).
    public static func psql(_ url: String, _ sql: String) throws -> String {
        let cluster = try shared.get()
        let result = try runProgram(
            cluster.binaries.appendingPathComponent("psql").path,
            ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], timeout: 60)
        guard result.status == 0 else { throw PostgresClusterError.failed("psql: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func findBinaries() throws -> URL {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for version in versions.sorted(by: >) {
            let bin = root.appendingPathComponent(version).appendingPathComponent("bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
        }
        throw PostgresClusterError.failed(
            "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql; .ci/run does)")
    }

    public static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw PostgresClusterError.failed("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    nonisolated(unsafe) private static var stopCommand: [String] = []

    private static func stopAtExit(pgCtl: String, data: String, asRoot: Bool) {
        let command = [pgCtl, "-D", data, "-m", "immediate", "-w", "stop"]
        stopCommand = asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + command : command
        atexit {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: PostgresCluster.stopCommand[0])
            process.arguments = Array(PostgresCluster.stopCommand.dropFirst())
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try? process.run()
            process.waitUntilExit()
            if let data = PostgresCluster.stopCommand.last(where: { $0.hasSuffix("/data") }) {
                try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: data).deletingLastPathComponent().path)
            }
        }
    }
}

/// Runs `arguments` (a program and its arguments, no shell) with stdin from /dev/null and stdout and stderr
/// to `output`; returns its exit status (128 + the signal when killed).
func spawn(_ arguments: [String], output: String) throws -> Int32 {
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
    guard spawned == 0 else { throw PostgresClusterError.failed("cannot start \(arguments[0]) (error \(spawned))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}

public enum PostgresClusterError: Error, CustomStringConvertible {
    case failed(String)
    public var description: String {
        switch self {
        case .failed(let why): "throwaway PostgreSQL: \(why)"
        }
    }
}

/// A store for a test: the SQLite file at `sqlitePath`, or, when the suite runs on PostgreSQL
/// (`LECTERN_TEST_ENGINE=postgres`), a new database of the throwaway cluster.
public func openTestStore(sqlitePath: String, busyTimeout: TimeInterval = 5) throws -> Store {
    try Store.open(PostgresCluster.selected ? PostgresCluster.newDatabase() : sqlitePath, busyTimeout: busyTimeout)
}

extension TempSite {
    /// A store on `testDatabase` (see `TempSite.testDatabase`).
    public func testStore() throws -> Store { try Store.open(try testDatabase()) }

    /// `database = "…"` for this site's `[daemon]` table when its test database is not the default file.
    public func databaseSetting() throws -> String {
        PostgresCluster.selected ? "database = \"\(try testDatabase())\"\n" : ""
    }
}
