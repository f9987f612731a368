import ArgumentParser
import Foundation
import LecternCore
import LecternServer

/// `lecternd`: the companion daemon. Parses arguments and runs `Daemon`.
@main
struct LecternD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lecternd",
        abstract: "Take payment webhooks, record them in SQLite, deliver signed links.",
        version: LecternVersion.current)

    @Option(help: "Path of lectern.toml (its folder is the site).") var config = "lectern.toml"
    @Option(help: "Address to listen on (default: [daemon] host).") var host: String?
    @Option(help: "Port to listen on, 0 for any free port (default: [daemon] port).") var port: Int?
    @Option(
        help: """
            SQLite file or postgres://USER@HOST:PORT/DATABASE, the password in PGPASSWORD (default: \
            LECTERN_DATABASE_URL, else [daemon] database, else lectern.sqlite beside lectern.toml).
            """)
    var db: String?

    func validate() throws {
        if let port, !(0...65_535).contains(port) { throw ValidationError("--port must be 0–65535") }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: config).standardizedFileURL.deletingLastPathComponent()
        do {
            let daemon = try Daemon(options: .init(root: root, host: host, port: port, database: db)) { port in
                // Unbuffered, so scripts and tests waiting for this line see it at once.
                FileHandle.standardOutput.write(Data("lecternd listening on port \(port)\n".utf8))
            }
            try await daemon.run()
        } catch let error as LecternError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode.failure
        }
    }
}
