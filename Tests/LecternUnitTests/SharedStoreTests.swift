import Foundation
import LecternPostgres
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternStore

/// What nodes sharing one database agree on through it, as two stores on one database (two nodes, or a node
/// and the CLI) do here: whose turn a periodic job is, and which build is the newest served.
@Suite struct SharedStoreTests {
    /// Two stores on one new database: an SQLite file, or a PostgreSQL database under the PostgreSQL pass.
    static func twoNodes(_ folder: URL) throws -> (Store, Store) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let location =
            PostgresCluster.selected
            ? try PostgresCluster.newDatabase() : folder.appendingPathComponent("lectern.sqlite").path
        return (try Store.open(location), try Store.open(location))
    }

    @Test func oneNodePerPeriodTakesTheTurn() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("turn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (nodeA, nodeB) = try Self.twoNodes(folder)
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        #expect(try nodeA.takeTurn("retention", every: 3_540, now: start))
        #expect(try !nodeB.takeTurn("retention", every: 3_540, now: start.addingTimeInterval(1)))
        #expect(try !nodeA.takeTurn("retention", every: 3_540, now: start.addingTimeInterval(3_539)))
        // The period over: whoever asks first has it, and only once.
        #expect(try nodeB.takeTurn("retention", every: 3_540, now: start.addingTimeInterval(3_600)))
        #expect(try !nodeA.takeTurn("retention", every: 3_540, now: start.addingTimeInterval(3_601)))
        // Another job keeps its own turns.
        #expect(try nodeA.takeTurn("other", every: 3_540, now: start.addingTimeInterval(3_601)))
    }

    @Test func aNodeLeftOnAnOlderBuildSaysSoInItsHealth() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("build-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (nodeA, nodeB) = try Self.twoNodes(folder)
        let old = Date(timeIntervalSince1970: 1_795_000_000)
        let new = old.addingTimeInterval(600)
        try nodeA.noteBuild(old)
        try nodeB.noteBuild(old)
        #expect(DaemonHealth(store: nodeA, sender: nil, build: { old }).report().status == .ok)
        // Node B gets the new bundle; node A still serves the old one.
        try nodeB.noteBuild(new)
        try nodeA.noteBuild(old)  // an older build never takes the newest's place
        #expect(try nodeA.newestBuild() == new)
        let stale = DaemonHealth(store: nodeA, sender: nil, build: { old }).report()
        #expect(stale.status == .degraded && stale.reasons.contains { $0.contains("copy paid/ here") })
        #expect(DaemonHealth(store: nodeB, sender: nil, build: { new }).report().status == .ok)
    }

    @Test func aRateLimitIsCountedOnceAcrossTheNodes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("limit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (nodeA, nodeB) = try Self.twoNodes(folder)
        let hour = 1_795_000_000 - 1_795_000_000 % 3_600  // a window's start
        let start = Date(timeIntervalSince1970: TimeInterval(hour + 600))
        let (a, b) = (RateCounters(store: nodeA), RateCounters(store: nodeB))
        #expect(try a.spend("resend:ada@example.com", limit: 3, window: 3_600, now: start).allowed)
        #expect(try b.spend("resend:ada@example.com", limit: 3, window: 3_600, now: start).allowed)
        #expect(try a.spend("resend:ada@example.com", limit: 3, window: 3_600, now: start).allowed)
        let fourth = try b.spend("resend:ada@example.com", limit: 3, window: 3_600, now: start.addingTimeInterval(60))
        #expect(!fourth.allowed && fourth.retryAfter == 2_940)
        #expect(try a.spend("resend:bob@example.com", limit: 3, window: 3_600, now: start).allowed)
        // The next hour: a new window; the old one goes with the retention pass, and no address is kept as such.
        #expect(
            try a.spend("resend:ada@example.com", limit: 3, window: 3_600, now: start.addingTimeInterval(3_000)).allowed
        )
        #expect(try a.purge(olderThan: 3_600, now: start.addingTimeInterval(3_600 + 3_000)) == 2)
        let keys = try nodeA.read { try String.fetchAll($0, sql: "SELECT key FROM rate_counters") }
        #expect(keys.count == 1 && !keys.contains { $0.contains("ada") })
    }
}
