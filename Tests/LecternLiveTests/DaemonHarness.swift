import Foundation
import FoundationNetworking
import GRDB
import LecternConfig
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternStore

#if canImport(FoundationNetworking)
#endif

/// A real lecternd on a loopback port with a temporary site, database and SMTP server (Python's
/// aiosmtpd), plus the providers' own libraries to sign webhooks (Tests/peers/webhook_peer.py).
final class DaemonHarness: @unchecked Sendable {
    static let stripeSecret = "whsec_test_\(UUID().uuidString)"
    static let standardSecret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let lemonSecret = "lemon-\(UUID().uuidString)"
    static let metricsToken = (0..<4).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "") }.joined()

    let site: TempSite
    var daemon = Process()
    let smtp = Process()
    let mailbox: URL
    let smtpPort: Int
    var port = 0

    /// The SMTP peer: aiosmtpd's mailbox, or a server that accepts connections and never says a word.
    enum MailServer { case aiosmtpd, mute }

    /// `environment` adds to (or, with "", unsets) the daemon's environment.
    init(
        extraConfig: String = "", environment extra: [String: String] = [:], mailServer: MailServer = .aiosmtpd,
        fileLimit: Int? = nil, mailConfig: String = "hold_seconds = 0\n",
        prepare: (TempSite) throws -> Void = { _ in }
    ) async throws {
        site = try TempSite(withExampleContent: true)
        try prepare(site)
        mailbox = site.root.appendingPathComponent("smtp-mailbox")
        smtpPort = Self.freePort()
        var toml = try site.read("lectern.toml")
        // Under LECTERN_TEST_ENGINE=postgres, a database of its own on the throwaway server (unless the test
        // names a database: those are about SQLite's file).
        let database = extraConfig.contains("database =") ? "" : try site.databaseSetting()
        toml +=
            "\n[daemon]\nclaim_wait_seconds = 1\n\(database)\(extraConfig)\n[mail]\ntransport = \"smtp\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = \(smtpPort)\nfrom = \"School <school@example.com>\"\n\(mailConfig)"
        try site.write("lectern.toml", toml)
        try KeyStore(directory: site.root.appendingPathComponent("keys")).generate()
        try site.build()

        smtp.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        switch mailServer {
        case .aiosmtpd:
            smtp.arguments = [
                "python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(smtpPort)", "-c", "aiosmtpd.handlers.Mailbox",
                mailbox.path,
            ]
        case .mute:
            smtp.arguments = [
                "python3", "-c",
                "import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                    + "s.bind(('127.0.0.1', \(smtpPort)))\ns.listen(64)\nheld = []\nwhile True: held.append(s.accept())\n",
            ]
        }
        smtp.standardOutput = FileHandle.nullDevice
        smtp.standardError = FileHandle.nullDevice
        try smtp.run()
        // The daemon sends at once; a refused first attempt waits out a 30 s backoff, longer than tests wait
        // for mail. Python can take seconds to start on a loaded machine, so wait for the port.
        try #require(Self.waitForPort(smtpPort, timeout: 20), "aiosmtpd did not start on port \(smtpPort)")

        let lecternd = CommandLineTests.binary?.deletingLastPathComponent().appendingPathComponent("lecternd")
        daemon.executableURL = lecternd
        daemon.arguments = ["--config", site.root.appendingPathComponent("lectern.toml").path, "--port", "0"]
        if let fileLimit, let lecternd {  // as `ulimit -n` would, through util-linux's prlimit
            daemon.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            daemon.arguments = ["--nofile=\(fileLimit)", "--", lecternd.path] + (daemon.arguments ?? [])
        }
        var environment = ProcessInfo.processInfo.environment
        environment["LECTERN_STRIPE_WEBHOOK_SECRET"] = Self.stripeSecret
        environment["LECTERN_STANDARD_WEBHOOK_SECRET"] = Self.standardSecret
        environment["LECTERN_LEMONSQUEEZY_SECRET"] = Self.lemonSecret
        environment["LECTERN_METRICS_TOKEN"] = Self.metricsToken
        environment.merge(extra) { $1 }
        daemon.environment = environment
        let out = Pipe()
        daemon.standardOutput = out
        daemon.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try launch(out)
    }

    /// Runs `daemon` and waits for "lecternd listening on port N".
    private func launch(_ out: Pipe) throws {
        port = 0
        try daemon.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(30)
        while port == 0 && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
            if let line = String(data: seen, encoding: .utf8), let range = line.range(of: "listening on port ") {
                port = Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
            }
        }
        try #require(port > 0, "lecternd did not start")
    }

    /// Starts lecternd again on the same site, database and environment (after `stopDaemon()`), on a new port.
    func restart() throws {
        let old = daemon
        daemon = Process()
        daemon.executableURL = old.executableURL
        daemon.arguments = old.arguments
        daemon.environment = old.environment
        let out = Pipe()
        daemon.standardOutput = out
        daemon.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try launch(out)
    }

    /// Stops lecternd only (the SMTP peer keeps running), as `systemctl stop` would.
    func stopDaemon() {
        Self.terminate(daemon, waiting: 20)
        while daemon.isRunning { usleep(20_000) }
    }

    /// A port the SMTP peer can listen on: below the kernel's ephemeral range (32768 and up, where
    /// lecternd's `--port 0` and every outgoing connection get theirs, which once made aiosmtpd's bind
    /// fail), and free now.
    static func freePort() -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_000)
            if onLoopbackSocket(port, { bind($0, $1, $2) == 0 }) { return port }
        }
        return Int.random(in: 20_000..<32_000)
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` within `timeout` seconds.
    static func waitForPort(_ port: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if onLoopbackSocket(port, { connect($0, $1, $2) == 0 }) { return true }
            usleep(50_000)
        }
        return false
    }

    /// SIGTERM (graceful shutdown), then the daemon's exit status. Polls instead of `waitUntilExit`,
    /// which can hang when called from a Swift concurrency thread on Linux.
    func stop(waiting seconds: TimeInterval = 10) -> Int32 {
        if smtp.isRunning { kill(smtp.processIdentifier, SIGKILL) }  // a test peer: no need to be gentle
        Self.terminate(daemon, waiting: seconds)
        return daemon.isRunning ? -1 : daemon.terminationStatus
    }

    /// SIGTERM, up to `seconds` for the process to exit, then SIGKILL.
    private static func terminate(_ process: Process, waiting seconds: TimeInterval) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { _ = stop() }

    // MARK: HTTP

    struct Reply {
        var status: Int
        var body: Data
        var headers: [String: String]
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    }

    func request(
        _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)".lowercased()] = "\(value)" }
        return Reply(status: http.statusCode, body: data, headers: fields)
    }

    final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }

    /// curl, a real HTTP client, keeping cookies in `jar` (a Netscape cookie file) and following
    /// redirects when `follow`. Returns the last status, the effective URL, the headers and the body.
    struct CurlReply {
        var status: Int
        var url: String
        var headers: String
        var body: String
        func header(_ name: String) -> [String] {
            headers.split(separator: "\r\n").compactMap { line in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == name.lowercased() else { return nil }
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
    }

    func curl(
        _ url: String, jar: URL? = nil, follow: Bool = false, arguments: [String] = [], port: Int? = nil
    ) throws -> CurlReply {
        let absolute = url.hasPrefix("http") ? url : "http://127.0.0.1:\(port ?? self.port)\(url)"
        let headerFile = site.root.appendingPathComponent("curl-headers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: headerFile) }
        var args = ["-s", "--path-as-is", "-D", headerFile.path, "-w", "\n%{http_code} %{url_effective}"] + arguments
        if let jar { args += ["-b", jar.path, "-c", jar.path] }
        if follow { args.append("-L") }
        let run = try runProgram("/usr/bin/curl", args + [absolute])
        try #require(run.status == 0, "curl \(url) failed: \(run.stderr)")
        let lastLine = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
        let fields = lastLine.split(separator: " ", maxSplits: 1)
        let body = String(run.stdout.dropLast(lastLine.count + 1))
        // With -L, -D holds every response's headers; keep the last block.
        let allHeaders = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
        let last = allHeaders.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.last ?? ""
        return CurlReply(
            status: Int(fields.first ?? "") ?? 0, url: fields.count > 1 ? String(fields[1]) : "", headers: last,
            body: body)
    }

    /// The signed link in an e-mail, pointed at this daemon's port.
    func link(in mail: String) throws -> String {
        let line = try #require(mail.split(separator: "\n").first { $0.contains("/learn/") && $0.contains("?token=") })
        let link = line.trimmingCharacters(in: .whitespacesAndNewlines)
        let path = try #require(link.range(of: "/learn/")).lowerBound
        return "http://127.0.0.1:\(port)" + link[path...]
    }

    // MARK: Signing with the providers' libraries

    func peer(_ arguments: [String], payload: Data) throws -> String {
        let script = repoRoot.appendingPathComponent("Tests/peers/webhook_peer.py").path
        let run = try runProgram("/usr/bin/env", ["python3", script] + arguments, input: payload)
        try #require(run.status == 0, "webhook_peer.py \(arguments.first ?? "") failed: \(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func postStripe(
        _ payload: Data, timestamp: Int = Int(Date().timeIntervalSince1970), secret: String = stripeSecret
    ) async throws -> Reply {
        let signature = try peer(["stripe", secret, String(timestamp)], payload: payload)
        return try await request(
            "POST", "/webhooks/stripe", body: payload,
            headers: ["Stripe-Signature": signature, "Content-Type": "application/json"])
    }

    /// Several events signed first (the Python peer is slow on a loaded machine), then posted at once: what
    /// reaches the daemon "in a row", as a cart's several purchases. Replies in the payloads' order.
    func postStripeInARow(_ payloads: [Data]) async throws -> [Reply] {
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signatures = try payloads.map { try peer(["stripe", Self.stripeSecret, timestamp], payload: $0) }
        return try await withThrowingTaskGroup(of: (Int, Reply).self) { group in
            for (index, (payload, signature)) in zip(payloads, signatures).enumerated() {
                group.addTask {
                    let reply = try await self.request(
                        "POST", "/webhooks/stripe", body: payload,
                        headers: ["Stripe-Signature": signature, "Content-Type": "application/json"])
                    return (index, reply)
                }
            }
            var replies: [(Int, Reply)] = []
            for try await reply in group { replies.append(reply) }
            return replies.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    func postStandard(
        _ payload: Data, id: String, timestamp: Int = Int(Date().timeIntervalSince1970)
    ) async throws -> Reply {
        let signature = try peer(["standard", Self.standardSecret, id, String(timestamp)], payload: payload)
        return try await request(
            "POST", "/webhooks/standard", body: payload,
            headers: ["webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature])
    }

    func postLemon(_ payload: Data) async throws -> Reply {
        let signature = try peer(["lemonsqueezy", Self.lemonSecret], payload: payload)
        return try await request("POST", "/webhooks/lemonsqueezy", body: payload, headers: ["X-Signature": signature])
    }

    // MARK: Database

    /// The daemon's store, opened as the creator's CLI would (SQLite file or PostgreSQL database).
    func openStore() throws -> Store {
        try site.testStore()
    }

    func count(_ table: String, where condition: String = "TRUE") throws -> Int {
        let store = try openStore()
        return try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table) WHERE \(condition)") ?? -1 }
    }

    /// One text value of a query, e.g. a grant's `ends_at`.
    func value(_ sql: String) throws -> String? {
        let store = try openStore()
        return try store.read { try String.fetchOne($0, sql: sql) }
    }

    /// Messages the SMTP server received (maildir), waiting up to `timeout` for `count` of them.
    func receivedMail(count: Int, timeout: TimeInterval = 15) async throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let new = mailbox.appendingPathComponent("new")
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: new.path)) ?? []).sorted()
            if files.count >= count || Date() > deadline {
                return try files.map { try String(contentsOf: new.appendingPathComponent($0), encoding: .utf8) }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    // MARK: Payloads

    static func stripeCheckout(
        event: String, session: String, paymentIntent: String, email: String = "ada@example.com",
        course: String? = "practical-sqlite", amount: Int = 4900, currency: String = "usd",
        type: String = "checkout.session.completed", subtotal: Int? = nil, discount: Int = 0, tax: Int = 0,
        paymentStatus: String = "paid", paymentLink: String? = nil, clientReference: String? = nil,
        extra: [String: Any] = [:]
    ) -> Data {
        // Shaped as Stripe documents a Checkout Session: `amount_subtotal` before discounts and exclusive tax,
        // `total_details` with what was taken off and added, `amount_total` what the buyer paid; `payment_link`
        // names the Payment Link it came from (null otherwise), `client_reference_id` what the link's URL added.
        var object: [String: Any] = [
            "id": session, "object": "checkout.session", "payment_status": paymentStatus, "amount_total": amount,
            "currency": currency, "payment_intent": paymentIntent,
            "metadata": course.map { ["course": $0] } ?? [String: String](), "customer_details": ["email": email],
            "total_details": ["amount_discount": discount, "amount_tax": tax, "amount_shipping": 0],
            "payment_link": paymentLink ?? NSNull(), "client_reference_id": clientReference ?? NSNull(),
        ]
        if let subtotal { object["amount_subtotal"] = subtotal }
        object.merge(extra) { $1 }
        return json([
            "id": event, "object": "event", "type": type, "created": Int(Date().timeIntervalSince1970),
            "data": ["object": object],
        ])
    }

    /// A Charge as Stripe sends it refunded: `amount_refunded` is every refund so far, `refunded` whether all of
    /// `amount` went back (the default: a full refund).
    static func stripeRefund(
        event: String, paymentIntent: String, type: String = "charge.refunded", amount: Int = 4900,
        refunded: Int? = nil
    ) -> Data {
        let back = refunded ?? amount
        return json([
            "id": event, "object": "event", "type": type, "created": Int(Date().timeIntervalSince1970),
            "data": [
                "object": [
                    "id": "ch_\(paymentIntent)", "object": "charge", "payment_intent": paymentIntent, "amount": amount,
                    "amount_refunded": back, "refunded": back >= amount,
                ]
            ],
        ])
    }

    static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    /// A fresh TCP socket and 127.0.0.1:`port` for `call` (bind or connect); the socket is closed after.
    private static func onLoopbackSocket(
        _ port: Int, _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool
    ) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                call(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
}
