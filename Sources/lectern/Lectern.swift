import ArgumentParser
import Foundation
import LecternCore

/// `lectern`: the creator's command. Each subcommand parses its arguments and calls LecternKit.
@main
struct Lectern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lectern",
        abstract: "Build and sell courses written in Markdown.",
        version: LecternVersion.current,
        subcommands: [
            InitCommand.self, BuildCommand.self, CheckCommand.self, ServeCommand.self, NewCommand.self,
            KeysCommand.self, TokenCommand.self,
            TraceCommand.self, BuyersCommand.self, OrdersCommand.self, OutboxCommand.self, SharingCommand.self,
            GrantCommand.self, ApproveCommand.self,
            RevokeCommand.self, ResendCommand.self, SalesCommand.self, BackupCommand.self, StoreCommand.self,
            BenchCommand.self,
        ]
    )

    /// Exit codes: 0 ok, 1 content/config error (message names file:line), 2 usage.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as LecternError {
            FileHandle.standardError.write(Data((colored(error.description) + "\n").utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success || code == .failure {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// Colours for a terminal only (and never with NO_COLOR set): red `error:`, dim hint.
func colored(_ message: String) -> String {
    guard isatty(STDERR_FILENO) == 1, ProcessInfo.processInfo.environment["NO_COLOR"] == nil else { return message }
    return message.replacingOccurrences(of: "error:", with: "\u{1B}[1;31merror:\u{1B}[0m")
        .replacingOccurrences(of: "  hint:", with: "  \u{1B}[36mhint:\u{1B}[0m")
}

/// Options every site command shares.
struct SiteOptions: ParsableArguments {
    @Option(name: .long, help: "The site folder (holding lectern.toml).")
    var root: String = "."

    var rootURL: URL { URL(fileURLWithPath: root).standardizedFileURL }
}
