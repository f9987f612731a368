import ArgumentParser
import Foundation
import LecternCore
import LecternPostgres
import LecternStore

/// `lectern store …`: the database as a whole.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Move lecternd's database between SQLite and PostgreSQL.",
        subcommands: [StoreCopyCommand.self])
}

struct StoreCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy every buyer, order, grant and event from one database into another, and verify it.",
        discussion: """
            Ids are kept (a grant's id is in its buyer's fingerprint and links). The destination is replaced, \
            read back and compared in one transaction. Running the copy again brings it up to date while nothing \
            else has changed it; once it has (a webhook, a grant, a sign-in), it is refused. To move with no lost \
            event: stop lecternd, copy, start the nodes on the new database (providers retry meanwhile).
            """)
    @Option(help: "The database to copy: an SQLite file or postgres://USER@HOST:PORT/DATABASE.") var from: String
    @Option(help: "Where to copy it: an SQLite file (made if missing) or postgres://… (an empty database).")
    var to: String

    func run() throws {
        guard Store.exists(from) else {
            throw LecternError(
                .store, file: from, "no such database",
                hint: "--from names an existing SQLite file or a postgres:// URL")
        }
        let source = try Store.open(from)
        let destination = try Store.open(to)
        let summary = try StoreCopy.copy(from: source, to: destination)
        print("Copied \(source.engine.description) → \(destination.engine.description), verified row by row:")
        for table in summary.tables {
            print("  \(table.name)\t\(table.rows) rows\tsha256 \(table.digest.prefix(16))")
        }
        print("  orders: \(summary.amount) paid, \(summary.refunded) refunded (minor units, all currencies)")
    }
}
