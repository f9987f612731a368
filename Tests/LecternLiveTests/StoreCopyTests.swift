import Foundation
import LecternCore
import LecternPostgres
import LecternTestSupport
import Testing

@testable import LecternStore

/// `lectern store copy` between SQLite and a real PostgreSQL (the throwaway server), run as the creator runs
/// it; and the PostgreSQL location as `--db` and `LECTERN_DATABASE_URL` give it.
@Suite struct StoreCopyTests {
    /// A store with `orders` paid orders (one buyer, grant and webhook event each; every tenth refunded in
    /// part, every fiftieth reversed), progress, a session and its sightings, a queued letter.
    static func seed(_ store: Store, orders: Int) throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        try store.write { db in
            let ledger = Ledger(db)
            for index in 0..<orders {
                let email = try #require(EmailAddress("buyer\(index)@example.com"))
                let buyer = try ledger.buyer(email: email.value, now: now)
                _ = try ledger.claimEvent(
                    provider: "stripe", eventID: "evt_\(index)", type: "checkout.session.completed",
                    rawBody: Data("{\"n\":\(index)}".utf8), now: now)
                let payment = PaymentEvent.Payment(
                    orderID: "cs_\(index)", paymentRef: "pi_\(index)", product: index % 3 == 0 ? "sql" : "写作",
                    email: email, amount: 4_900 + index % 7, currency: index % 2 == 0 ? "usd" : "cny",
                    subscriptionRef: nil, tax: 100)
                let order = try #require(
                    try ledger.recordOrder(
                        provider: "stripe", payment: payment, buyer: buyer, status: .paid, flag: nil, now: now))
                let grant = try ledger.grant(
                    buyer: buyer, order: order, product: payment.product, subscription: nil, now: now)
                if index % 10 == 0 {
                    _ = try ledger.recordRefund(
                        provider: "stripe", paymentRef: "pi_\(index)", amount: 700, runningTotal: false, now: now)
                }
                if index % 50 == 0 {
                    _ = try ledger.reverse(
                        .refunded, provider: "stripe", paymentRef: "pi_\(index)", eventID: "r", now: now)
                }
                if index == 0 {
                    try ledger.enqueueEmail(.init(kind: .purchase, grant: grant), to: email, now: now)
                }
            }
        }
        try Library(store: store).markRead(buyer: 1, course: "sql", lesson: "one", now: now)
        try Sessions(store: store).start(id: "s1", buyer: 1, grant: 1, network: "10.0.0", browser: "Firefox", now: now)
        try Sessions(store: store).record([.init(session: "s1", day: "2026-11-18", network: "10.0.1", at: now)])
    }

    @Test func tenThousandOrdersCopyToPostgreSQLIdenticallyAndTheCopyServes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = folder.appendingPathComponent("lectern.sqlite").path
        try Self.seed(try Store(path: sqlite), orders: 10_000)
        let postgres = try PostgresCluster.newDatabase()
        let lectern = try #require(builtProgram("lectern")).path

        let run = try runProgram(lectern, ["store", "copy", "--from", sqlite, "--to", postgres])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("orders\t10000 rows") && run.stdout.contains("grants\t10000 rows"), "\(run.stdout)")
        let source = try StoreCopy.summary(of: try Store(path: sqlite))
        let copy = try Store.open(postgres)
        #expect(try StoreCopy.summary(of: copy) == source)
        #expect(source.amount > 49_000_000 && source.refunded > 0)
        // Counted by PostgreSQL itself, not through the store.
        #expect(
            try PostgresCluster.psql(postgres, "SELECT COUNT(*), SUM(amount) FROM orders") == "10000|\(source.amount)")
        #expect(
            try PostgresCluster.psql(postgres, "SELECT COUNT(*) FROM grants WHERE revoked_at IS NOT NULL") == "200")

        // Again, after more sales on the source: the destination, untouched since, is brought up to date.
        try Store(path: sqlite).write { db in
            _ = try Ledger(db).claimEvent(
                provider: "stripe", eventID: "evt_late", type: "t", rawBody: Data(), now: Date())
        }
        let again = try runProgram(lectern, ["store", "copy", "--from", sqlite, "--to", postgres])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try StoreCopy.summary(of: copy) == (try StoreCopy.summary(of: try Store(path: sqlite))))

        // The copy serves: the same grant, by the id in its buyer's fingerprint; a buyer's library; the next
        // grant gets an id after the copied ones (the identity counters moved past them).
        let grant = try #require(try GrantRecord.load(id: 4_321, from: copy))
        #expect(grant == (try GrantRecord.load(id: 4_321, from: try Store(path: sqlite))))
        #expect(try Library(store: copy).liveGrants(buyer: 4_321).count == 1)
        #expect(try CreatorQueries(store: copy).liveGrant(email: "buyer9998@example.com", product: "写作") != nil)
        let next = try copy.write { db in
            try Ledger(db).grant(
                buyer: try Ledger(db).buyer(email: "new@example.com", now: Date()), order: nil, product: "sql",
                subscription: nil, now: Date())
        }
        #expect(next == 10_001)

        // Now the copy has a life of its own (a comp grant whose id is in a link already): a copy over it would
        // lose that and give the id to someone else, so it is refused and nothing changes.
        let before = try StoreCopy.summary(of: copy)
        let refused = try runProgram(lectern, ["store", "copy", "--from", sqlite, "--to", postgres])
        #expect(refused.status == 1 && refused.stderr.contains("has changed since it was copied"), "\(refused.stderr)")
        #expect(try StoreCopy.summary(of: copy) == before)

        // And back: PostgreSQL to a new SQLite file, equal again (comp grant included).
        let back = folder.appendingPathComponent("back.sqlite").path
        let home = try runProgram(lectern, ["store", "copy", "--from", postgres, "--to", back])
        #expect(home.status == 0, "\(home.stderr)")
        #expect(try StoreCopy.summary(of: try Store(path: back)) == (try StoreCopy.summary(of: copy)))
    }

    @Test func theLocationIsCheckedWholeAndNamesEveryServer() throws {
        let location = try PostgresLocation(
            url: "postgres://lectern:s3cret@db-a.internal:6432,10.0.0.7/shop?sslmode=require", environment: [:])
        #expect(location.servers.map { "\($0.host):\($0.port)" } == ["db-a.internal:6432", "10.0.0.7:5432"])
        #expect(location.user == "lectern" && location.password == "s3cret" && location.database == "shop")
        #expect(location.tls == .require && !location.description.contains("s3cret"))
        #expect(try PostgresLocation(url: "postgresql://u@h/d", environment: ["PGPASSWORD": "p"]).password == "p")
        for bad in [
            "postgres://h/d", "postgres://u@/d", "postgres://u@h", "postgres://u@h:0/d", "postgres://u@h:70000/d",
            "postgres://u@h/d?sslmode=maybe", "postgres://u@h/d?x=1", "postgres://u@h,,h/d", "postgres://u@h/a/b",
            "postgres://u@" + Array(repeating: "h", count: 9).joined(separator: ",") + "/d",
        ] {
            let error = lecternError { _ = try PostgresLocation(url: bad, environment: [:]) }
            #expect(error?.hint?.contains("postgres://USER@HOST:PORT/DATABASE") == true, "\(bad)")
        }
    }

    @Test func aDeadFirstServerIsPassedOverForTheNextOne() throws {
        let url = try PostgresCluster.newDatabase()
        let parts = try #require(URLComponents(string: url))
        let dead = try PostgresCluster.freePort()
        let location = "postgres://lectern@127.0.0.1:\(dead),127.0.0.1:\(parts.port ?? 0)\(parts.path)"
        let store = try Store.open(location)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT 1") } == 1)
        // Nothing listens anywhere: a message naming the location, no password, and the way out.
        let error = lecternError { _ = try Store.open("postgres://lectern:pw@127.0.0.1:\(dead)/x") }
        #expect(error?.message.contains("postgres://lectern@127.0.0.1:\(dead)/x") == true)
        #expect(error?.message.contains("pw") == false && error?.hint?.contains("reachable") == true)
    }
}
