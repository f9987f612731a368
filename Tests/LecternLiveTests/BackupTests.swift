import Foundation
import GRDB
import LecternTestSupport
import Testing

@testable import LecternStore

/// `lectern backup` while lecternd takes webhooks: each copy is one consistent instant, passes its
/// integrity check, and a copy taken after the load equals the live database row for row.
/// `lectern backup` copies an SQLite file (on PostgreSQL: pg_dump, a replica, `lectern store copy`).
@Suite(.serialized, .enabled(if: !PostgresCluster.selected, "SQLite's online backup")) struct BackupTests {
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
        let live = try Store(path: root.appendingPathComponent("lectern.sqlite").path)
        let restored = try Store(path: final)  // opening runs migrations: a restored file is a working store
        for table in ["buyers", "orders", "grants", "webhook_events", "outbox"] {
            let sql = "SELECT * FROM \(table) ORDER BY id"
            let a = try live.read { try SQLRow.fetchAll($0, sql: sql) }
            let b = try restored.read { try SQLRow.fetchAll($0, sql: sql) }
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

    /// The restore drill of docs/going-live.md, with its scripts: back up (database and keys/), stop
    /// lecternd, lose both, restore, start again. The buyer's e-mailed link and their signed-in browser
    /// still work, and a purchase made before the backup is still there.
    @Test func theRestoreDrillKeepsABuyersLinkAndCookieWorking() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let root = daemon.site.root
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_1", session: "cs_1", paymentIntent: "pi_1"))
        let link = try daemon.link(in: try #require(try await daemon.receivedMail(count: 1).first))
        let jar = root.appendingPathComponent("browser.txt")
        #expect(try daemon.curl(link, jar: jar, follow: true).status == 200)
        let lesson = "/learn/practical-sqlite/transactions/"

        let backups = root.appendingPathComponent("backups")
        let lectern = try #require(CommandLineTests.binary).path
        let environment = ProcessInfo.processInfo.environment.merging(["LECTERN": lectern]) { $1 }
        let backup = try runProgram(
            "/bin/bash", [repoRoot.appendingPathComponent("docs/deploy/backup.sh").path, root.path, backups.path],
            environment: environment)
        try #require(backup.status == 0, "backup.sh: \(backup.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: backups.path)
        #expect(
            files.filter { $0.hasPrefix("lectern-") }.count == 1 && files.filter { $0.hasPrefix("keys-") }.count == 1)
        for file in files {
            let mode = try FileManager.default.attributesOfItem(atPath: backups.appendingPathComponent(file).path)
            #expect((mode[.posixPermissions] as? Int ?? 0) & 0o077 == 0, "\(file) is readable by others")
        }

        // The disaster: lecternd stopped, the database and the keys gone.
        daemon.stopDaemon()
        let fm = FileManager.default
        for name in ["lectern.sqlite", "lectern.sqlite-wal", "lectern.sqlite-shm", "keys"] {
            try? fm.removeItem(at: root.appendingPathComponent(name))
        }
        let restore = try runProgram(
            "/bin/bash", [repoRoot.appendingPathComponent("docs/deploy/restore.sh").path, root.path, backups.path])
        try #require(restore.status == 0, "restore.sh: \(restore.stderr)")
        try daemon.restart()

        #expect(try daemon.count("grants", where: "product = 'practical-sqlite' AND revoked_at IS NULL") == 1)
        #expect(try daemon.curl(lesson, jar: jar).status == 200, "the signed-in browser lost its access")
        let fresh = root.appendingPathComponent("fresh-browser.txt")
        let path = String(link[try #require(link.range(of: "/learn/")).lowerBound...])  // the new port
        #expect(try daemon.curl(path, jar: fresh, follow: true).status == 200, "the e-mailed link stopped working")

        // A restore from a folder without a matching pair, or a damaged copy, replaces nothing.
        let empty = root.appendingPathComponent("empty")
        try fm.createDirectory(at: empty, withIntermediateDirectories: true)
        let refused = try runProgram(
            "/bin/bash", [repoRoot.appendingPathComponent("docs/deploy/restore.sh").path, root.path, empty.path])
        #expect(refused.status != 0 && refused.stderr.contains("restore:"))
    }
}
