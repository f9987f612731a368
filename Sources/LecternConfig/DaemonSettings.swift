import Foundation
import LecternCore

/// `[daemon]` in `lectern.toml`: where lecternd listens and keeps its database.
public struct DaemonSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// SQLite file, relative to the site root.
    public var database = "lectern.sqlite"
    /// Largest webhook body accepted (bytes); larger ones get 413.
    public var maxBodyBytes = 1_048_576
    /// How long `/access/claim` waits for a checkout's webhook before showing "check your e-mail".
    public var claimWaitSeconds = 5
    /// `Secure` on the access cookie. nil (default): on when `base_url` is https. Set false only for
    /// plain-HTTP use on localhost.
    public var cookieSecure: Bool?
    /// Minutes after an order during which `/access/claim` signs in the browser that paid (once).
    public var claimWindowMinutes = 15
    /// Claims per client address per hour (each may poll the store while it waits). Behind a proxy
    /// without `trust_proxy` every buyer is one client: raise it, or better, set `trust_proxy`.
    public var claimsPerClient = 60
    /// Take the client address for rate limits from `X-Forwarded-For`: the last entry, which is the
    /// address your proxy saw. Turn it on only when every request reaches lecternd through a proxy you
    /// run that appends that header (nginx: `proxy_add_x_forwarded_for`); otherwise a client can name
    /// any address and spread its requests over as many rate-limit buckets as it likes.
    public var trustProxy = false
    /// Orders lecternd places (`/pay/alipay`) per client address per hour. Each writes one small row;
    /// many Chinese mobile buyers share one carrier-grade NAT address, so this stays generous.
    public var checkoutsPerClient = 300
    /// Link re-sends allowed per e-mail address and per client address, per hour.
    public var resendPerAddress = 3
    public var resendPerClient = 20
    /// Offline editions (EPUB, PDF) one grant may download per hour: each may be a new file to make (a PDF is a
    /// browser run), and a buyer needs a handful (a phone, an e-reader, a printout).
    public var downloadsPerHour = 10
    /// Browsers one buyer may be signed in on at once (0: no limit). A sign-in over it signs out the
    /// least recently seen one, which then says so and offers a fresh link.
    public var maxDevices = 0
    /// Slow clients: seconds allowed for a request's head (from connect or the previous response) and
    /// for its whole body; past them the connection is closed.
    public var headerTimeoutSeconds = 10
    public var bodyTimeoutSeconds = 30
    /// Seconds a webhook's raw body (personal data) is kept before it is emptied (`raw_body_retention`).
    public var rawBodyRetention = 30 * 86_400
    /// When a dispute (chargeback) withdraws access: as soon as it is opened (the default), or only once it
    /// is lost (`revoke_on_dispute = "lost"`). A dispute won gives back what its opening took.
    public var revokeOnDispute = DisputePolicy.opened

    public init() {}

    /// The range each integer setting must fall in: every number is checked before it reaches a timer
    /// or an allocation (`TimeAmount.seconds` multiplies, and overflow ends the process).
    typealias IntegerSetting = (key: String, range: ClosedRange<Int>, keyPath: WritableKeyPath<DaemonSettings, Int>)
    static var integerRanges: [IntegerSetting] {
        [
            ("port", 1...65_535, \.port),
            ("max_body_bytes", 1_024...67_108_864, \.maxBodyBytes),
            ("claim_wait_seconds", 0...60, \.claimWaitSeconds),
            ("claim_window_minutes", 1...1_440, \.claimWindowMinutes),
            ("claims_per_client", 1...100_000, \.claimsPerClient),
            ("checkouts_per_client", 1...100_000, \.checkoutsPerClient),
            ("resend_per_address", 1...10_000, \.resendPerAddress),
            ("resend_per_client", 1...10_000, \.resendPerClient),
            ("downloads_per_hour", 1...1_000, \.downloadsPerHour),
            ("max_devices", 0...1_000, \.maxDevices),
            ("header_timeout_seconds", 1...3_600, \.headerTimeoutSeconds),
            ("body_timeout_seconds", 1...3_600, \.bodyTimeoutSeconds),
        ]
    }

    init(_ table: SettingsTable) throws {
        try table.rejectUnknownKeys(
            allowed: Set(Self.integerRanges.map(\.key)).union(
                ["host", "database", "cookie_secure", "trust_proxy", "raw_body_retention", "revoke_on_dispute"]),
            section: "daemon")
        host = try table.string("host") ?? host
        database = try table.string("database") ?? database
        cookieSecure = try table.bool("cookie_secure")
        trustProxy = try table.bool("trust_proxy") ?? trustProxy
        for (key, range, keyPath) in Self.integerRanges {
            guard let value = try table.integer(key) else { continue }
            guard range.contains(value) else {
                throw table.error(
                    key, "`daemon.\(key)` must be \(range.lowerBound)–\(range.upperBound), got \(value)")
            }
            self[keyPath: keyPath] = value
        }
        if let text = try table.string("revoke_on_dispute") {
            guard let policy = DisputePolicy(rawValue: text) else {
                throw table.error(
                    "revoke_on_dispute", "`daemon.revoke_on_dispute` must be \"opened\" or \"lost\"",
                    hint: "\"opened\": access ends when the buyer disputes the charge; \"lost\": when you lose it")
            }
            revokeOnDispute = policy
        }
        if let text = try table.string("raw_body_retention") {
            guard let seconds = Duration.parseSeconds(text), seconds >= 86_400 else {
                throw table.error(
                    "raw_body_retention",
                    "`daemon.raw_body_retention` must be a duration of a day or more, such as \"30d\"")
            }
            rawBodyRetention = seconds
        }
    }
}

/// `[mail]` in `lectern.toml`: how signed links reach buyers. Credentials come from the environment
/// (`LECTERN_SMTP_USER`, `LECTERN_SMTP_PASSWORD`), never from the file.
public struct MailSettings: Sendable {
    public enum Transport: String, Sendable { case file, smtp }

    /// `file` (default, local use) writes each message as an .eml file into `folder`; `smtp` sends.
    public var transport = Transport.file
    public var from = "Lectern <courses@localhost>"
    public var folder = "mail"
    public var smtpHost = "127.0.0.1"
    public var smtpPort = 25
    /// Require STARTTLS (refuse to send in the clear).
    public var startTLS = false
    /// Messages sent at the same time (1–64): a burst of purchases drains this many at once.
    public var concurrency = 8
    /// Seconds a purchase's (or a comp's) e-mail waits before it goes out, 0–300: a buyer who takes two
    /// courses in a row gets one e-mail listing both. The buyer who paid is signed in at once by the
    /// claim page; the e-mail is for later and other devices.
    public var holdSeconds = 5

    public init() {}

    init(_ table: SettingsTable) throws {
        try table.rejectUnknownKeys(
            allowed: [
                "transport", "from", "folder", "smtp_host", "smtp_port", "starttls", "concurrency", "hold_seconds",
            ],
            section: "mail")
        if let name = try table.string("transport") {
            guard let transport = Transport(rawValue: name) else {
                throw table.error("transport", "`mail.transport` must be \"file\" or \"smtp\"")
            }
            self.transport = transport
        }
        from = try table.string("from") ?? from
        folder = try table.string("folder") ?? folder
        smtpHost = try table.string("smtp_host") ?? smtpHost
        if let port = try table.integer("smtp_port") {
            guard (1...65_535).contains(port) else {
                throw table.error("smtp_port", "`mail.smtp_port` must be 1–65535")
            }
            smtpPort = port
        }
        startTLS = try table.bool("starttls") ?? startTLS
        if let concurrency = try table.integer("concurrency") {
            guard (1...64).contains(concurrency) else {
                throw table.error("concurrency", "`mail.concurrency` must be 1–64")
            }
            self.concurrency = concurrency
        }
        if let hold = try table.integer("hold_seconds") {
            guard (0...300).contains(hold) else {
                throw table.error("hold_seconds", "`mail.hold_seconds` must be 0–300")
            }
            holdSeconds = hold
        }
    }
}

extension SiteConfig {
    /// The site's database, `[daemon] database`: an SQLite file (by default `lectern.sqlite` beside
    /// `lectern.toml`), or a `postgres://` URL as given (its password belongs in `PGPASSWORD`, not here).
    public var databaseLocation: String {
        PostgresLocation.isURL(daemon.database) ? daemon.database : url(daemon.database).path
    }
}
