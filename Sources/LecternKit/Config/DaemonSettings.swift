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
    /// Take the client address for rate limits from `X-Forwarded-For` (only behind a proxy you run).
    public var trustProxy = false
    /// Link re-sends allowed per e-mail address and per client address, per hour.
    public var resendPerAddress = 3
    public var resendPerClient = 20
    /// Slow clients: seconds allowed for a request's head (from connect or the previous response) and
    /// for its whole body; past them the connection is closed.
    public var headerTimeoutSeconds = 10
    public var bodyTimeoutSeconds = 30

    public init() {}

    init(_ table: SettingsTable) throws {
        try table.rejectUnknownKeys(allowed: ["host", "port", "database", "max_body_bytes", "claim_wait_seconds", "cookie_secure",
                                              "trust_proxy", "resend_per_address", "resend_per_client",
                                              "header_timeout_seconds", "body_timeout_seconds"], section: "daemon")
        host = try table.string("host") ?? host
        if let port = try table.integer("port") {
            guard (1...65_535).contains(port) else { throw table.error("port", "`daemon.port` must be 1–65535") }
            self.port = port
        }
        database = try table.string("database") ?? database
        if let limit = try table.integer("max_body_bytes") {
            guard limit >= 1_024 else { throw table.error("max_body_bytes", "`daemon.max_body_bytes` must be at least 1024") }
            maxBodyBytes = limit
        }
        claimWaitSeconds = try table.integer("claim_wait_seconds") ?? claimWaitSeconds
        cookieSecure = try table.bool("cookie_secure")
        trustProxy = try table.bool("trust_proxy") ?? trustProxy
        for (key, keyPath) in [("resend_per_address", \DaemonSettings.resendPerAddress), ("resend_per_client", \DaemonSettings.resendPerClient),
                               ("header_timeout_seconds", \DaemonSettings.headerTimeoutSeconds), ("body_timeout_seconds", \DaemonSettings.bodyTimeoutSeconds)] {
            guard let limit = try table.integer(key) else { continue }
            guard limit >= 1 else { throw table.error(key, "`daemon.\(key)` must be at least 1") }
            self[keyPath: keyPath] = limit
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

    public init() {}

    init(_ table: SettingsTable) throws {
        try table.rejectUnknownKeys(allowed: ["transport", "from", "folder", "smtp_host", "smtp_port", "starttls"], section: "mail")
        if let name = try table.string("transport") {
            guard let transport = Transport(rawValue: name) else {
                throw table.error("transport", "`mail.transport` must be \"file\" or \"smtp\"")
            }
            self.transport = transport
        }
        from = try table.string("from") ?? from
        folder = try table.string("folder") ?? folder
        smtpHost = try table.string("smtp_host") ?? smtpHost
        smtpPort = try table.integer("smtp_port") ?? smtpPort
        startTLS = try table.bool("starttls") ?? startTLS
    }
}
