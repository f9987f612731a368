import Foundation
import GRDB
import LecternTestSupport
import Testing

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

    @Test func aLockedDatabaseLosesAndDoublesNothingAndHealthSaysSo() async throws {
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
        let mail = try await daemon.receivedMail(count: 21, timeout: 60)
        try await Task.sleep(for: .seconds(3))  // a duplicate would arrive now
        let all = try await daemon.receivedMail(count: 22, timeout: 0)
        #expect(mail.count == 21 && all.count == 21, "\(all.count) messages for 21 purchases")
        let recipients = all.compactMap { $0.split(separator: "\n").first { $0.hasPrefix("To: ") } }
        #expect(Set(recipients).count == 21)
        let ids = all.compactMap { $0.split(separator: "\n").first { $0.hasPrefix("Message-ID: ") } }
        #expect(Set(ids).count == 21)
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
        let store = try Store(path: daemon.site.root.appendingPathComponent("lectern.sqlite").path)
        let due = try store.read {
            try Row.fetchOne($0, sql: "SELECT sent_at, next_attempt_at, body FROM outbox")
        }
        #expect(due?["sent_at"] as String? == nil)
        #expect((due?["next_attempt_at"] as String? ?? "9") <= Store.timestamp(Date()))
        #expect((due?["body"] as String? ?? "").contains("token="))
    }
}
