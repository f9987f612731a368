import Foundation
import GRDB
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternStore

/// Faults a real lecternd meets (issue 18): a database locked by another process, an SMTP server that
/// accepts and never answers, a stop in the middle of a send. Over loopback, with aiosmtpd or a mute peer.
@Suite(.serialized) struct DaemonFaultTests {
    /// Debian's sqlite3 holding the database's write lock until `release()`.
    final class LockHolder {
        let process = Process()
        let input = Pipe()

        init(database: URL) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = [database.path]
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            input.fileHandleForWriting.write(Data("PRAGMA busy_timeout = 10000;\nBEGIN IMMEDIATE;\n".utf8))
        }

        func release() {
            input.fileHandleForWriting.write(Data("ROLLBACK;\n.quit\n".utf8))
            try? input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    func health(_ daemon: DaemonHarness) async throws -> (status: Int, state: String, reasons: [String]) {
        let reply = try await daemon.request("GET", "/healthz")
        return (reply.status, reply.json["status"] as? String ?? "", reply.json["reasons"] as? [String] ?? [])
    }

    /// Waits for `count` messages, then three seconds more (a duplicate would arrive then); expects exactly
    /// `count` and returns them.
    func exactlyOneMailEach(
        _ daemon: DaemonHarness, _ count: Int, timeout: TimeInterval = 60
    ) async throws -> [String] {
        let mail = try await daemon.receivedMail(count: count, timeout: timeout)
        try await Task.sleep(for: .seconds(3))
        let all = try await daemon.receivedMail(count: count + 1, timeout: 0)
        #expect(mail.count == count && all.count == count, "\(all.count) messages for \(count) purchases")
        return all
    }

    /// The distinct values of a header over messages.
    func distinct(_ header: String, in messages: [String]) -> Set<Substring> {
        Set(messages.compactMap { $0.split(separator: "\n").first { $0.hasPrefix(header) } })
    }

    func waitFor(
        _ daemon: DaemonHarness, state: String, timeout: TimeInterval = 30
    ) async throws -> (status: Int, state: String, reasons: [String]) {
        let deadline = Date().addingTimeInterval(timeout)
        var last = try await health(daemon)
        while last.state != state && Date() < deadline {
            try await Task.sleep(for: .milliseconds(250))
            last = try await health(daemon)
        }
        return last
    }

    @Test(.enabled(if: !PostgresCluster.selected, "holds SQLite's write lock from another connection"))
    func aLockedDatabaseLosesAndDoublesNothingAndHealthSaysSo() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let database = daemon.site.root.appendingPathComponent("lectern.sqlite")
        #expect(try await health(daemon).state == "ok")

        // Twenty purchases, then another process takes the write lock while their e-mails go out.
        var payloads: [Data] = []
        for index in 1...20 {
            let payload = DaemonHarness.stripeCheckout(
                event: "evt_lock\(index)", session: "cs_lock\(index)", paymentIntent: "pi_lock\(index)",
                email: "buyer\(index)@example.com")
            payloads.append(payload)
            #expect(try await daemon.postStripe(payload).status == 200)
        }
        let lock = try LockHolder(database: database)
        // A purchase while the lock is held is refused (503) and logged; the provider will retry it.
        let late = DaemonHarness.stripeCheckout(
            event: "evt_lock21", session: "cs_lock21", paymentIntent: "pi_lock21", email: "buyer21@example.com")
        #expect(try await daemon.postStripe(late).status == 503)
        let unavailable = try await waitFor(daemon, state: "unavailable")
        #expect(unavailable.status == 503)
        #expect(unavailable.reasons.contains { $0.contains("cannot be written") }, "\(unavailable.reasons)")
        try await Task.sleep(for: .seconds(8))
        lock.release()

        // The retry is recorded; the store takes writes again and says so.
        #expect(try await daemon.postStripe(late).status == 200)
        #expect(try await waitFor(daemon, state: "ok").status == 200)
        // Every buyer gets exactly one e-mail.
        let all = try await exactlyOneMailEach(daemon, 21)
        #expect(distinct("To: ", in: all).count == 21)
        #expect(distinct("Message-ID: ", in: all).count == 21)
        #expect(try daemon.count("orders") == 21 && daemon.count("outbox", where: "sent_at IS NULL") == 0)
    }

    @Test func sigtermDuringASendToAMuteServerStopsAtOnceAndKeepsTheMessage() async throws {
        let daemon = try await DaemonHarness(mailServer: .mute)
        defer { _ = daemon.stop() }
        let payload = DaemonHarness.stripeCheckout(event: "evt_mute", session: "cs_mute", paymentIntent: "pi_mute")
        #expect(try await daemon.postStripe(payload).status == 200)
        try await Task.sleep(for: .seconds(2))  // curl has connected and waits for the greeting
        let started = Date()
        kill(daemon.daemon.processIdentifier, SIGTERM)
        while daemon.daemon.isRunning && Date().timeIntervalSince(started) < 30 { usleep(20_000) }
        let seconds = Date().timeIntervalSince(started)
        #expect(!daemon.daemon.isRunning && daemon.daemon.terminationStatus == 0)
        #expect(seconds < 10, "stopped after \(seconds) s (it waited out curl's timeout before)")
        // The message is still queued, due again at once: the next start sends it.
        let store = try daemon.openStore()
        let due = try store.read {
            try SQLRow.fetchOne($0, sql: "SELECT sent_at, next_attempt_at, body FROM outbox")
        }
        #expect(due?["sent_at"] as String? == nil)
        #expect((due?["next_attempt_at"] as String? ?? "9") <= Store.timestamp(Date()))
        #expect((due?["body"] as String? ?? "").contains("token="))
    }

    /// The database on a 4 MiB tmpfs that is then filled to the last byte (CI runs as root, which `mount` needs).
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFullDiskLosesAndDoublesNothing() async throws {
        let disk = FileManager.default.temporaryDirectory.appendingPathComponent("lectern-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let mount = try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk.path])
        try #require(mount.status == 0, "mount: \(mount.stderr)")
        defer {
            _ = try? runProgram("/bin/umount", ["-l", disk.path])
            try? FileManager.default.removeItem(at: disk)
        }
        let daemon = try await DaemonHarness(
            extraConfig: "database = \"\(disk.appendingPathComponent("lectern.sqlite").path)\"")
        defer { _ = daemon.stop() }
        func purchase(_ index: Int) -> Data {
            DaemonHarness.stripeCheckout(
                event: "evt_full\(index)", session: "cs_full\(index)", paymentIntent: "pi_full\(index)",
                email: "full\(index)@example.com")
        }
        for index in 1...5 { #expect(try await daemon.postStripe(purchase(index)).status == 200) }
        _ = try await daemon.receivedMail(count: 5, timeout: 30)

        // Fill the disk, then buy: refused purchases are retried, as a provider does, once there is room.
        let filler = disk.appendingPathComponent("filler")
        _ = try runProgram("/bin/dd", ["if=/dev/zero", "of=\(filler.path)", "bs=64k"])
        var refused: [Int] = []
        for index in 6...15 where try await daemon.postStripe(purchase(index)).status != 200 { refused.append(index) }
        // Health reports the last write: another small write (the mailer's, a checkpoint) can still fit between a
        // refused purchase and the probe, so a refused purchase is tried again just before it, a few times.
        var fullHealth = try await health(daemon)
        for attempt in 0..<5 where fullHealth.status != 503 && !refused.isEmpty {
            _ = try await daemon.postStripe(purchase(refused[attempt % refused.count]))
            fullHealth = try await health(daemon)
        }
        #expect(!refused.isEmpty, "a full disk refuses purchases (503) rather than half-recording them")
        #expect(fullHealth.status == 503 && fullHealth.reasons.contains { $0.contains("full") }, "\(fullHealth)")
        try await Task.sleep(for: .seconds(3))
        try FileManager.default.removeItem(at: filler)
        for index in refused {
            var status = 0
            for _ in 0..<20 where status != 200 {
                status = try await daemon.postStripe(purchase(index)).status
                if status != 200 { try await Task.sleep(for: .milliseconds(500)) }
            }
            #expect(status == 200, "purchase \(index) after the disk has room again")
        }
        let all = try await exactlyOneMailEach(daemon, 15)
        #expect(distinct("Message-ID: ", in: all).count == 15)
    }

    @Test func anSMTPServerThatIsDownGetsTheMessageOnceWhenItIsBack() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        kill(daemon.smtp.processIdentifier, SIGKILL)
        while daemon.smtp.isRunning { usleep(20_000) }
        let payload = DaemonHarness.stripeCheckout(event: "evt_down", session: "cs_down", paymentIntent: "pi_down")
        #expect(try await daemon.postStripe(payload).status == 200)
        try await Task.sleep(for: .seconds(3))  // the first attempt is refused (curl exit 7): backoff 30 s
        #expect(try daemon.count("outbox", where: "attempts = 1 AND last_error LIKE '%curl exit 7%'") == 1)

        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(daemon.smtpPort)", "-c",
            "aiosmtpd.handlers.Mailbox", daemon.mailbox.path,
        ]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL) }
        _ = try await exactlyOneMailEach(daemon, 1)
        #expect(try daemon.count("outbox", where: "sent_at IS NOT NULL") == 1)
    }

    /// A database on a read-only file system: lecternd refuses to start and its hint names the `-wal` and
    /// `-shm` files (a start refused this way used to leave `-shm` read-only, with a hint that did not say).
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aReadOnlyDatabaseIsRefusedAtStartWithAHintThatNamesItsFiles() throws {
        let disk = FileManager.default.temporaryDirectory.appendingPathComponent("lectern-ro-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        try #require(try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", disk.path]).status == 0)
        defer {
            _ = try? runProgram("/bin/umount", ["-l", disk.path])
            try? FileManager.default.removeItem(at: disk)
        }
        let database = disk.appendingPathComponent("lectern.sqlite").path
        _ = try Store(path: database)  // made, migrated, closed
        try #require(try runProgram("/bin/mount", ["-o", "remount,ro", disk.path]).status == 0)

        let site = try TempSite(withExampleContent: true)
        try KeyStore(directory: site.root.appendingPathComponent("keys")).generate()
        try site.build()
        let lecternd = try #require(builtProgram("lecternd"))
        let run = try runProgram(
            lecternd.path, ["--config", site.root.appendingPathComponent("lectern.toml").path, "--db", database])
        #expect(run.status != 0)
        #expect(run.stderr.contains("cannot open the database") && run.stderr.contains("-shm"), "\(run.stderr)")
    }

    /// A Standard Webhooks secret that is not one is refused at start with what to do (it used to answer 500
    /// to every webhook).
    @Test func aStandardWebhooksSecretThatIsNotOneIsRefusedAtStart() throws {
        let site = try TempSite(withExampleContent: true)
        try KeyStore(directory: site.root.appendingPathComponent("keys")).generate()
        try site.build()
        let lecternd = try #require(builtProgram("lecternd"))
        let run = try runProgram(
            "/usr/bin/env",
            [
                "LECTERN_STANDARD_WEBHOOK_SECRET=whsec_not base64!", lecternd.path, "--config",
                site.root.appendingPathComponent("lectern.toml").path, "--port", "0",
            ])
        #expect(run.status != 0)
        #expect(
            run.stderr.contains("LECTERN_STANDARD_WEBHOOK_SECRET is not a Standard Webhooks secret"), "\(run.stderr)")
        #expect(run.stderr.contains("whsec_ followed by base64"))
    }

    /// lecternd with 64 file descriptors (`ulimit -n 64`) and 40 purchases at once: eight concurrent sends need
    /// more descriptors than are left (curl's pipes), so some sends fail and wait out their backoff; the daemon
    /// lives, any refused purchase is retried as a provider does, and every buyer gets exactly one e-mail.
    @Test func aLowFileLimitUnderLoadLosesAndDoublesNothing() async throws {
        let daemon = try await DaemonHarness(fileLimit: 64)
        defer { _ = daemon.stop() }
        let count = 40
        let statuses = await withTaskGroup(of: (Int, Int).self) { group in
            for index in 1...count {
                group.addTask {
                    let payload = DaemonHarness.stripeCheckout(
                        event: "evt_fd\(index)", session: "cs_fd\(index)", paymentIntent: "pi_fd\(index)",
                        email: "fd\(index)@example.com")
                    return (index, (try? await daemon.postStripe(payload).status) ?? 0)
                }
            }
            var statuses: [Int: Int] = [:]
            for await (index, status) in group { statuses[index] = status }
            return statuses
        }
        for (index, status) in statuses.sorted(by: { $0.key < $1.key }) where status != 200 {
            var retried = status
            for _ in 0..<20 where retried != 200 {
                try await Task.sleep(for: .milliseconds(500))
                retried =
                    (try? await daemon.postStripe(
                        DaemonHarness.stripeCheckout(
                            event: "evt_fd\(index)", session: "cs_fd\(index)", paymentIntent: "pi_fd\(index)",
                            email: "fd\(index)@example.com")
                    ).status) ?? 0
            }
            #expect(retried == 200, "purchase \(index) first got \(status)")
        }
        #expect(daemon.daemon.isRunning)
        let all = try await exactlyOneMailEach(daemon, count, timeout: 90)
        #expect(distinct("Message-ID: ", in: all).count == count)
        #expect(try daemon.count("orders") == count)
        // The fault did happen: sends failed for want of descriptors for curl's pipes, and were retried.
        #expect(try daemon.count("outbox", where: "attempts > 0") > 0)
    }
}
