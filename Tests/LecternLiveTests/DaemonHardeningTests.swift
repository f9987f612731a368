import Foundation
import GRDB
import LecternTestSupport
import Testing

@testable import LecternStore

/// The weaknesses of the security review, against a real lecternd over loopback: signature work an
/// unauthenticated request can cause, file modes, what the store keeps and for how long, re-send
/// budgets, `/metrics`, and what a guessed `/learn/<id>/?token=` reveals.
@Suite(.serialized) struct DaemonHardeningTests {
    @Test func signatureCandidatesAreCappedAndStaleTimestampsRefusedBeforeAnyMAC() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let now = Int(Date().timeIntervalSince1970)
        let body = Data(String(repeating: "x", count: 512 * 1_024).utf8)
        func bogus(_ count: Int) -> String {
            (0..<count).map { _ in "v1=" + String(repeating: "ab", count: 32) }.joined(separator: ",")
        }
        let many = try await daemon.request(
            "POST", "/webhooks/stripe", body: body, headers: ["Stripe-Signature": "t=\(now),\(bogus(20))"])
        #expect(many.status == 401 && (many.json["detail"] as? String)?.contains("more than 8") == true, "\(many.json)")
        // The attack as reported (230 candidates) does not get as far as parsing them.
        let flood = try await daemon.request(
            "POST", "/webhooks/stripe", body: body, headers: ["Stripe-Signature": "t=\(now),\(bogus(230))"])
        #expect(flood.status == 401 && (flood.json["detail"] as? String)?.contains("too long") == true, "\(flood.json)")
        let stale = try await daemon.request(
            "POST", "/webhooks/stripe", body: body,
            headers: ["Stripe-Signature": "t=\(now - 3_600),v1=" + String(repeating: "ab", count: 32)])
        #expect(stale.status == 400 && stale.json["type"] as? String == "https://lectern.dev/problems/stale-timestamp")
        let standard = try await daemon.request(
            "POST", "/webhooks/standard", body: body,
            headers: [
                "webhook-id": "msg_1", "webhook-timestamp": String(now),
                "webhook-signature": (0..<100).map { _ in "v1,AAAA" }.joined(separator: " "),
            ])
        #expect(standard.status == 401 && (standard.json["detail"] as? String)?.contains("more than 8") == true)
    }

    @Test(.enabled(if: !PostgresCluster.selected, "about the SQLite file's mode"))
    func databaseFilesAreOwnerOnlyAndSentLinksAreNotKept() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let payload = DaemonHarness.stripeCheckout(event: "evt_modes", session: "cs_modes", paymentIntent: "pi_modes")
        #expect(try await daemon.postStripe(payload).json["result"] as? String == "granted")
        _ = try await daemon.receivedMail(count: 1)
        // The outbox row is marked sent right after delivery: wait for it, then look at what it keeps.
        let deadline = Date().addingTimeInterval(10)
        while try daemon.count("outbox", where: "sent_at IS NOT NULL") == 0 && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try daemon.count("outbox", where: "sent_at IS NOT NULL") == 1)
        #expect(try daemon.count("outbox", where: "body LIKE '%token=%'") == 0)

        let database = daemon.site.root.appendingPathComponent("lectern.sqlite").path
        for file in [database, database + "-wal", database + "-shm"] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "\(file) is \(String(mode, radix: 8))")
        }
        let backup = daemon.site.root.appendingPathComponent("backup.sqlite")
        let run = try runProgram(
            try #require(CommandLineTests.binary).path,
            ["backup", backup.path, "--root", daemon.site.root.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: backup.path)[.posixPermissions] as? Int == 0o600)
    }

    @Test func rawWebhookBodiesAreEmptiedAfterTheRetentionPeriod() async throws {
        let daemon = try await DaemonHarness(extraConfig: "raw_body_retention = \"7d\"") { site in
            // An event received long ago, before this daemon starts: the first retention pass empties it.
            let store = try site.testStore()
            try store.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO webhook_events (provider, event_id, type, received_at, raw_body, result)
                        VALUES ('stripe', 'evt_old', 'x', '2026-01-01T00:00:00.000Z', 'personal data', 'ignored')
                        """)
            }
        }
        defer { _ = daemon.stop() }
        let payload = DaemonHarness.stripeCheckout(event: "evt_new", session: "cs_new", paymentIntent: "pi_new")
        #expect(try await daemon.postStripe(payload).status == 200)
        let deadline = Date().addingTimeInterval(10)
        while try daemon.count("webhook_events", where: "event_id = 'evt_old' AND length(raw_body) > 0") > 0
            && Date() < deadline
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try daemon.count("webhook_events", where: "event_id = 'evt_old' AND length(raw_body) = 0") == 1)
        #expect(try daemon.count("webhook_events", where: "event_id = 'evt_new' AND length(raw_body) > 0") == 1)
    }

    @Test func aClientRefusedByItsOwnLimitDoesNotSpendTheBuyersBudget() async throws {
        let daemon = try await DaemonHarness(
            extraConfig: "trust_proxy = true\nresend_per_client = 1\nresend_per_address = 3")
        defer { _ = daemon.stop() }
        func resend(from client: String) throws -> Int {
            try daemon.curl(
                "/access/resend",
                arguments: [
                    "-X", "POST", "--data", "email=ada%40example.com",
                    "-H", "X-Forwarded-For: \(client)",
                ]
            ).status
        }
        #expect(try resend(from: "198.51.100.1") == 202)
        // The same client again and again: refused for the client; the address's budget is untouched.
        for _ in 0..<5 { #expect(try resend(from: "198.51.100.1") == 429) }
        #expect(try resend(from: "198.51.100.2") == 202)
        #expect(try resend(from: "198.51.100.3") == 202)
        // Now the address has had its three: refused, whoever asks.
        #expect(try resend(from: "198.51.100.4") == 429)
        // IPv6 clients share one budget per /64.
        #expect(
            try daemon.curl(
                "/access/resend",
                arguments: [
                    "-X", "POST", "--data", "email=bob%40example.com",
                    "-H", "X-Forwarded-For: 2001:db8:1:2::1",
                ]
            ).status == 202)
        #expect(
            try daemon.curl(
                "/access/resend",
                arguments: [
                    "-X", "POST", "--data", "email=eve%40example.com",
                    "-H", "X-Forwarded-For: 2001:db8:1:2::ffff",
                ]
            ).status == 429)
    }

    @Test func metricsNeedTheOperatorsToken() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        // Loopback alone is not enough (a same-host proxy makes every client loopback).
        #expect(try daemon.curl("/metrics").status == 401)
        #expect(try daemon.curl("/metrics", arguments: ["-H", "Authorization: Bearer wrong"]).status == 401)
        let scraped = try daemon.curl(
            "/metrics", arguments: ["-H", "Authorization: Bearer \(DaemonHarness.metricsToken)"])
        #expect(scraped.status == 200 && scraped.body.contains("lectern_outbox_depth"))

        let off = try await DaemonHarness(environment: ["LECTERN_METRICS_TOKEN": ""])
        defer { _ = off.stop() }
        #expect(try off.curl("/metrics").status == 404)
    }

    @Test func aGuessedProductIdAnswersLikeAnyOtherAndTokenURLsAreNeverReferred() async throws {
        let daemon = try await DaemonHarness(prepare: DaemonSecurityTests.sellInBundle)
        defer { _ = daemon.stop() }
        let real = try daemon.curl("/learn/all-access/?token=x")
        let made = try daemon.curl("/learn/no-such-product/?token=x")
        #expect(real.status == 401 && made.status == 401)
        #expect(real.body == made.body)
        let json = try daemon.curl("/learn/no-such-product/?token=x", arguments: ["-H", "Accept: application/json"])
        #expect(json.status == 401 && json.body.contains("invalid-link") && !json.body.contains("all-access"))
        // A buyer's own, valid token for a course says nothing about other ids either.
        #expect(
            try await daemon.postStripe(
                DaemonHarness.stripeCheckout(event: "evt_e", session: "cs_e", paymentIntent: "pi_e")
            )
            .json["result"] as? String == "granted")
        let link = try daemon.link(in: try #require(try await daemon.receivedMail(count: 1).first))
        let token = try #require(link.components(separatedBy: "?token=").last)
        let probeReal = try daemon.curl("/learn/all-access/?token=\(token)")
        let probeMade = try daemon.curl("/learn/no-such-product/?token=\(token)")
        #expect(probeReal.status == 401 && probeMade.status == 401 && probeReal.body == probeMade.body)
        #expect(try daemon.curl(link).status == 303)
        for reply in [
            real, made, json, try daemon.curl("/learn/practical-sqlite/../%2e%2e/?token=x"),
            try daemon.curl("/learn/practical-sqlite/?token=x"),
        ] {
            #expect(
                reply.header("Referrer-Policy") == ["no-referrer"] && reply.header("Cache-Control") == ["no-store"],
                "\(reply.status) \(reply.headers)")
        }
    }
}
