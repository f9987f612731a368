import Foundation
import GRDB
import LecternTestSupport
import Testing

@testable import LecternStore

/// `lectern backup` while lecternd takes webhooks: each copy is one consistent instant, passes its
/// integrity check, and a copy taken after the load equals the live database row for row.
@Suite(.serialized) struct BackupTests {
    @Test func onlineBackupIsConsistentAndRestores() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let binary = try #require(CommandLineTests.binary).path
        let root = daemon.site.root

        // 60 purchases from 4 concurrent senders; two backups are taken while they arrive.
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sender in 0..<4 {
                    group.addTask {
                        for n in 0..<15 {
                            let id = "\(sender)-\(n)"
                            let reply = try await daemon.postStripe(
                                DaemonHarness.stripeCheckout(
                                    event: "evt_\(id)", session: "cs_\(id)",
                                    paymentIntent: "pi_\(id)", email: "b\(id)@example.com"))
                            #expect(reply.status == 200)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        var midway: [String] = []
        for index in 0..<2 {
            try await Task.sleep(for: .milliseconds(400))
            let file = root.appendingPathComponent("mid-\(index).sqlite").path
            let run = try runProgram(binary, ["backup", "--root", root.path, file])
            #expect(run.status == 0 && run.stdout.contains("integrity ok"), "\(run.stderr)")
            midway.append(file)
        }
        try await load.value

        for file in midway {
            let copy = try DatabaseQueue(path: file)
            try await copy.read { db in
                // One instant: every granted event has its order, grant and e-mail, nothing half-applied.
                let events =
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhook_events WHERE result = 'granted'") ?? -1
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders") == events)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grants") == events)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") == events)
                #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
            }
        }

        // After the load: the backup equals the live database, table by table.
        let final = root.appendingPathComponent("final.sqlite").path
        #expect(try runProgram(binary, ["backup", "--root", root.path, final]).status == 0)
        let live = try DatabaseQueue(
            path: root.appendingPathComponent("lectern.sqlite").path,
            configuration: {
                var c = Configuration()
                c.readonly = true
                return c
            }())
        let restored = try Store(path: final)  // opening runs migrations: a restored file is a working store
        for table in ["buyers", "orders", "grants", "webhook_events", "outbox"] {
            let sql = "SELECT * FROM \(table) ORDER BY id"
            let a = try await live.read { try Row.fetchAll($0, sql: sql) }
            let b = try restored.read { try Row.fetchAll($0, sql: sql) }
            #expect(a.count >= 60 || table == "outbox" || table == "buyers")
            #expect(a == b, "\(table) differs after restore")
        }
        // The restored store answers the creator's queries like the live one.
        #expect(
            try CreatorQueries(store: restored).liveGrant(email: "b0-0@example.com", product: "practical-sqlite") != nil
        )
        // A backup schedule's folder that does not exist yet is made, owner-only (issue 17: it failed).
        let scheduled = root.appendingPathComponent("backups/2026-11/x.sqlite")
        #expect(try runProgram(binary, ["backup", "--root", root.path, scheduled.path]).status == 0)
        let folder = try FileManager.default.attributesOfItem(atPath: scheduled.deletingLastPathComponent().path)
        #expect((folder[.posixPermissions] as? Int ?? 0) & 0o077 == 0)
        // A folder that cannot be made (a file is in the way) fails cleanly and leaves nothing behind.
        let bad = try runProgram(binary, ["backup", "--root", root.path, root.path + "/lectern.toml/x.sqlite"])
        #expect(bad.status == 1 && bad.stderr.contains("error:"), "\(bad.stderr)")
    }
}
