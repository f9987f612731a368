import ArgumentParser
import Foundation
import LecternBuild
import LecternCommerce
import LecternConfig
import LecternCore
import LecternPostgres
import LecternStore

/// Options of commands that read lecternd's database.
struct StoreOptions: ParsableArguments {
    @OptionGroup var site: SiteOptions
    @Option(
        help: """
            SQLite file or postgres://USER@HOST:PORT/DATABASE (default: LECTERN_DATABASE_URL, else \
            [daemon] database, else lectern.sqlite beside lectern.toml).
            """)
    var db: String?

    func open() throws -> (SiteConfig, Store) {
        let config = try SiteConfig.load(root: site.rootURL)
        let location = Store.location(option: db, default: config.databaseLocation)
        guard Store.exists(location) else {
            throw LecternError(
                .store, file: location, "no database yet",
                hint: "lecternd creates it when it starts; or pass --db PATH or --db postgres://…")
        }
        return (config, try Store.open(location))
    }

    /// A grant, a revocation or a link must name something the site sells: a typo would e-mail a link
    /// to nothing.
    func requireProduct(_ id: String, config: SiteConfig) throws {
        let catalog = try ContentLoader(config: config, includeDrafts: true).load()
        guard catalog.courses.contains(where: { $0.isOpened(by: id) }) else {
            throw LecternError(
                .store, file: "\(config.contentDir)/\(id)", "no course or product `\(id)`",
                hint: "courses: \(catalog.courses.map(\.slug).joined(separator: ", "))")
        }
    }
}

struct BuyersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "buyers", abstract: "List buyers.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let (_, db) = try store.open()
        print("email\torders\tlive grants\tsince")
        for buyer in try CreatorQueries(store: db).buyers() {
            print("\(buyer.email)\t\(buyer.orders)\t\(buyer.liveGrants)\t\(buyer.since)")
        }
    }
}

struct OrdersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders", abstract: "List orders, with flags such as price mismatches.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Only flagged orders (paid, but not granted: `lectern approve NUMBER` grants one).") var flagged = false

    func run() throws {
        let (_, db) = try store.open()
        print("number\tprovider\tprovider order\temail\tproduct\tamount\tstatus\tflag")
        for order in try CreatorQueries(store: db).orders() where !flagged || order.status == .flagged {
            let amount = Money(minorUnits: order.amount, currency: order.currency).display
            let columns = [
                order.number ?? "-", order.provider, order.providerOrderID, order.email, order.product,
                amount, order.status.rawValue, order.flag ?? "",
            ]
            print(columns.joined(separator: "\t"))
        }
    }
}

struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "List e-mails not sent yet: waiting, retrying after a failure, or given up.",
        discussion: "Bodies are never shown (they hold signed links). `lectern resend --email` sends a fresh link.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let (_, db) = try store.open()
        let pending = try Outbox.pending(in: db)
        guard !pending.isEmpty else {
            print("No e-mail is waiting: every message was sent.")
            return
        }
        let time = ISO8601DateFormatter()
        print("id\tqueued\tto\tsubject\tattempts\tnext attempt\tlast error")
        for message in pending {
            let columns = [
                String(message.id), time.string(from: message.createdAt), message.recipient, message.subject,
                String(message.attempts), message.nextAttempt.map(time.string(from:)) ?? "given up",
                message.lastError ?? "",
            ]
            print(columns.joined(separator: "\t"))
        }
        let failing = pending.filter { $0.lastError != nil }.count
        print("\(pending.count) waiting, \(failing) after a failure (see lecternd's log for each reason).")
    }
}

struct GrantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant", abstract: "Give a buyer free access and e-mail the link.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Buyer e-mail.") var email: EmailAddress
    @Option(help: "Course slug or product id.") var course: String
    @Option(help: "Access ends after this day (YYYY-MM-DD, UTC).") var until: String?
    @Option(name: .customLong("for"), help: "Access ends after this long: 30d, 12w, 48h.") var duration: String?

    func validate() throws {
        if until != nil && duration != nil { throw ValidationError("give --until or --for, not both") }
        if let until, CalendarDay.end(until) == nil {
            throw ValidationError("--until takes a day as YYYY-MM-DD, e.g. 2027-01-31")
        }
        if let duration, Duration.parseSeconds(duration) == nil {
            throw ValidationError("--for takes a duration such as 30d, 12w or 48h (at most 100 years)")
        }
    }

    func run() throws {
        let (config, db) = try store.open()
        try store.requireProduct(course, config: config)
        let now = Date()
        let ends =
            until.flatMap(CalendarDay.end)
            ?? duration.flatMap(Duration.parseSeconds).map {
                now.addingTimeInterval(TimeInterval($0))
            }
        if let ends, ends <= now { throw ValidationError("--until names a day already over") }
        let (grant, isNew, endsAt) = try CreatorQueries(store: db).compGrant(
            email: email, product: course, until: ends, hold: TimeInterval(config.mail.holdSeconds), now: now)
        let term = endsAt.map { " until \(ISO8601DateFormatter().string(from: $0))" } ?? ""
        if isNew {
            print("Granted \(course) to \(email)\(term) (grant \(grant)); lecternd sends the link e-mail.")
        } else {
            print("\(email) already has \(course) (grant \(grant))\(term); lecternd sends a fresh link instead.")
        }
    }
}

struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Grant a flagged order (a price mismatch you accept) and e-mail the link.",
        discussion: "`lectern orders --flagged` lists them with their reason; the reason stays on the order.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The order's number, as `lectern orders` shows it (K7QD-M2XF).") var number: String

    func validate() throws {
        guard number.utf8.count <= 32, number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else { throw ValidationError("an order number is letters, digits and -, such as K7QD-M2XF") }
    }

    func run() throws {
        let (config, db) = try store.open()
        guard
            let approved = try CreatorQueries(store: db).approve(
                number: number, hold: TimeInterval(config.mail.holdSeconds))
        else {
            throw LecternError(
                .store, "no flagged order \(number)", hint: "`lectern orders --flagged` lists the orders waiting")
        }
        print("Approved \(number): \(approved.product) granted to \(approved.email) (grant \(approved.grant)).")
        print("lecternd sends the link e-mail.")
    }
}

struct RevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Withdraw a buyer's access to a course.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Buyer e-mail.") var email: String
    @Option(help: "Course slug or product id.") var course: String
    @Option(help: "Reason, kept with the grant.") var reason = "revoked by the creator"

    func run() throws {
        let (config, db) = try store.open()
        try store.requireProduct(course, config: config)
        let count = try CreatorQueries(store: db).revoke(email: email, product: course, reason: reason)
        guard count > 0 else { throw LecternError(.store, "no live grant of \(course) for \(email)") }
        print("Revoked \(count) grant(s).")
    }
}

struct ResendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resend", abstract: "E-mail a buyer fresh links to everything they own.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Buyer e-mail.") var email: EmailAddress

    func run() throws {
        let (_, db) = try store.open()
        let count = try CreatorQueries(store: db).resend(email: email)
        guard count > 0 else { throw LecternError(.store, "\(email) has no live grants") }
        print("Queued one e-mail with a fresh link to everything \(email) owns (\(count) grant(s)); lecternd sends it.")
    }
}

struct SalesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sales", abstract: "Revenue by course and by day, refunds and disputes, from lecternd's database.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Only orders from this day on (YYYY-MM-DD).") var since: String?
    @Option(help: "Also write a self-contained HTML report with SVG charts to this file.") var html: String?

    func validate() throws {
        if let since, since.count != 10 || ContentLoader.day(since) == nil {
            throw ValidationError("--since must be a date such as 2026-11-01")
        }
    }

    func run() throws {
        let (config, db) = try store.open()
        let report = try SalesReport.load(from: db, since: since)
        print(report.text(), terminator: "")
        if let html {
            try Data(SalesReportPage(report: report, siteTitle: config.title).html().utf8).write(
                to: URL(fileURLWithPath: html), options: .atomic)
            print("\nReport written to \(html)")
        }
    }
}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy lecternd's database consistently, even while the daemon runs.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Where to write the copy (replaced atomically if it exists).") var file: String

    func run() throws {
        let (_, db) = try store.open()
        let destination = URL(fileURLWithPath: file).standardizedFileURL
        // A backup schedule's folder may not exist yet (`backups/2026-11-22.sqlite`): made owner-only.
        let folder = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LecternError(
                .store, file: folder.path, "cannot make the backup's folder (\(error.localizedDescription))",
                hint: "choose a folder you can write to")
        }
        let summary = try StoreBackup.backup(db, to: destination)
        let counts = summary.tables.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("Backed up to \(file) (\(summary.bytes) bytes; integrity ok): \(counts)")
    }
}

/// `--email` is checked like every address that enters Lectern (a usage error otherwise).
extension EmailAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
