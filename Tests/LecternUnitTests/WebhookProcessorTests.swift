import Crypto
import Foundation
import GRDB
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternCore
@testable import LecternStore

/// The processor on a real SQLite file, without HTTP: subscription state, ordering guards, products.
@Suite struct WebhookProcessorTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")

    func processor(disputes: DisputePolicy = .opened, file: String = "test") throws -> (WebhookProcessor, Store) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try openTestStore(sqlitePath: directory.appendingPathComponent("\(file).sqlite").path)
        let links = AccessLinks(
            signer: TokenSigner(kid: "k", key: .init()), baseURL: "https://x.test", lifetime: 3_600, siteTitle: "X")
        let prices = [
            "sqlite": Money(minorUnits: 4900, currency: "USD"),
            "all-access": Money(minorUnits: 19_900, currency: "USD"),
        ]
        return (
            WebhookProcessor(
                store: store,
                catalog: { payment in
                    prices[payment.product].map {
                        BuildManifest.Sale(product: payment.product, pricing: ProductPricing(price: $0), mapped: false)
                    }
                },
                links: links, disputePolicy: disputes), store
        )
    }

    func subscriptionPurchase(_ id: String) -> PaymentEvent {
        PaymentEvent(
            provider: .stripe, eventID: id, type: "checkout.session.completed",
            action: .paid(
                .init(
                    orderID: "cs_\(id)", paymentRef: "sub_1", product: "all-access", email: EmailAddress("a@x.test")!,
                    amount: 19_900, currency: "USD", subscriptionRef: "sub_1")))
    }

    func subscription(_ id: String, active: Bool, at seconds: TimeInterval) -> PaymentEvent {
        PaymentEvent(
            provider: .stripe, eventID: id, type: "customer.subscription.updated",
            action: .subscriptionChanged(
                SubscriptionChange(
                    ref: "sub_1", status: active ? .active : .ended, at: Date(timeIntervalSince1970: seconds))))
    }

    func change(_ id: String, _ change: SubscriptionChange) -> PaymentEvent {
        PaymentEvent(
            provider: .stripe, eventID: id, type: "customer.subscription.updated", action: .subscriptionChanged(change))
    }

    func time(_ days: Double) -> Date { Date(timeIntervalSince1970: 1_800_000_000 + days * 86_400) }

    func endsAtDate(_ store: Store) throws -> Date? { try endsAt(store).flatMap(Store.date(fromTimestamp:)) }

    /// Renewal to the period's end plus grace (3 days), a failed renewal's grace, a cancellation at the
    /// period's end without grace, a cancellation that arrived before its purchase.
    @Test func subscriptionAccessFollowsPeriodsGraceAndEarlyCancellations() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let (processor, store) = try processor()
        #expect(try await processor.process(subscriptionPurchase("p1"), rawBody: Data()) == .recorded(.granted))
        let renewed = SubscriptionChange(ref: "sub_1", status: .active, periodEnd: time(30), at: time(0))
        #expect(try await processor.process(change("c1", renewed), rawBody: Data()) == .recorded(.subscriptionActive))
        #expect(try endsAtDate(store) == time(33))
        let failed = SubscriptionChange(ref: "sub_1", status: .pastDue, at: time(31))
        #expect(try await processor.process(change("c2", failed), rawBody: Data()) == .recorded(.subscriptionPastDue))
        #expect(try endsAtDate(store) == time(34))
        let cancelling = SubscriptionChange(
            ref: "sub_1", status: .active, periodEnd: time(60), cancelsAtPeriodEnd: true, at: time(32))
        #expect(
            try await processor.process(change("c3", cancelling), rawBody: Data()) == .recorded(.subscriptionActive))
        #expect(try endsAtDate(store) == time(60))
        // The same, delivered again under another id but older than what is recorded: stale.
        #expect(try await processor.process(change("c4", renewed), rawBody: Data()) == .recorded(.subscriptionStale))
        #expect(try endsAtDate(store) == time(60))

        // A cancellation that arrives before its purchase is kept, and the purchase's grant ends with it.
        let early = SubscriptionChange(ref: "sub_2", status: .ended, endedAt: time(1), at: time(1))
        #expect(try await processor.process(change("c5", early), rawBody: Data()) == .recorded(.subscriptionEnded))
        var late = subscriptionPurchase("p2")
        if case .paid(var payment) = late.action {
            (payment.orderID, payment.paymentRef, payment.subscriptionRef) = ("cs_p2", "sub_2", "sub_2")
            payment.email = EmailAddress("b@x.test")!
            late.action = .paid(payment)
        }
        #expect(try await processor.process(late, rawBody: Data()) == .recorded(.granted))
        let second = try store.read {
            try String.fetchOne($0, sql: "SELECT ends_at FROM grants WHERE subscription_ref = 'sub_2'")
        }
        #expect(second.flatMap(Store.date(fromTimestamp:)) == time(1))
    }

    /// Disputes withdraw access when opened (the default) or only when lost; a dispute won gives back what
    /// its opening took.
    @Test func disputesRevokeWhenOpenedOrWhenLostAndAWonOneGivesAccessBack() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        func event(_ id: String, _ action: PaymentEvent.Action) -> PaymentEvent {
            PaymentEvent(provider: .stripe, eventID: id, type: "charge.dispute", action: action)
        }
        let purchase = PaymentEvent(
            provider: .stripe, eventID: "p1", type: "checkout.session.completed",
            action: .paid(
                .init(
                    orderID: "cs_1", paymentRef: "pi_1", product: "sqlite", email: EmailAddress("a@x.test")!,
                    amount: 4_900, currency: "USD", subscriptionRef: nil)))
        for policy in [DisputePolicy.opened, .lost] {
            let (processor, store) = try processor(disputes: policy, file: policy.rawValue)
            func live() throws -> Bool {
                try store.read { try Bool.fetchOne($0, sql: "SELECT revoked_at IS NULL FROM grants") } ?? false
            }
            #expect(try await processor.process(purchase, rawBody: Data()) == .recorded(.granted))
            let opened = try await processor.process(event("d1", .disputed(paymentRef: "pi_1")), rawBody: Data())
            #expect(opened == .recorded(policy == .opened ? .disputed : .disputeOpened))
            #expect(try live() == (policy == .lost))
            let won = try await processor.process(
                event("d2", .disputeClosed(paymentRef: "pi_1", won: true)), rawBody: Data())
            #expect(won == .recorded(policy == .opened ? .disputeWon : .ignored))
            #expect(try live())
            #expect(try store.read { try String.fetchOne($0, sql: "SELECT status FROM orders") } == "paid")
            let lost = try await processor.process(
                event("d3", .disputeClosed(paymentRef: "pi_1", won: false)), rawBody: Data())
            #expect(lost == .recorded(.disputed))
            #expect(try !live())
        }
        // Refunded, then disputed, then the dispute won: the money went back, the order stays refunded.
        let (processor, store) = try processor(file: "refunded")
        #expect(try await processor.process(purchase, rawBody: Data()) == .recorded(.granted))
        _ = try await processor.process(event("r1", .refunded(paymentRef: "pi_1")), rawBody: Data())
        _ = try await processor.process(event("r2", .disputed(paymentRef: "pi_1")), rawBody: Data())
        let won = try await processor.process(
            event("r3", .disputeClosed(paymentRef: "pi_1", won: true)), rawBody: Data())
        #expect(won == .recorded(.ignored))
        #expect(try store.read { try String.fetchOne($0, sql: "SELECT status FROM orders") } == "refunded")
        #expect(try store.read { try String.fetchOne($0, sql: "SELECT reason FROM grants") } == "refunded")
    }

    /// A renewal's refund names its payment intent; the subscription's order was recorded under `sub_…`.
    /// Linked by the invoice event, before or after the refund arrives, the refund revokes the grant.
    @Test func refundsOfRenewalsFindTheSubscriptionWhateverIdTheyName() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let (processor, store) = try processor()
        #expect(try await processor.process(subscriptionPurchase("p1"), rawBody: Data()) == .recorded(.granted))
        func revoked() throws -> Bool {
            try store.read { try Bool.fetchOne($0, sql: "SELECT revoked_at IS NOT NULL FROM grants") } ?? false
        }
        let refund = PaymentEvent(
            provider: .stripe, eventID: "r1", type: "charge.refunded", action: .refunded(paymentRef: "pi_renewal"))
        #expect(try await processor.process(refund, rawBody: Data()) == .recorded(.refundedPending))
        #expect(try !revoked())
        let invoice = PaymentEvent(
            provider: .stripe, eventID: "i1", type: "invoice_payment.paid",
            action: .paymentAliases(target: "in_1", aliases: ["pi_renewal"]))
        #expect(try await processor.process(invoice, rawBody: Data()) == .recorded(.paymentLinked))
        #expect(try !revoked(), "the invoice is not linked to the subscription yet")
        let paid = SubscriptionChange(
            ref: "sub_1", status: .active, periodEnd: time(30), at: time(0), paymentRefs: ["in_1"])
        #expect(try await processor.process(change("i2", paid), rawBody: Data()) == .recorded(.subscriptionActive))
        #expect(try revoked())
        #expect(try store.read { try String.fetchOne($0, sql: "SELECT status FROM orders") } == "refunded")
    }

    func endsAt(_ store: Store) throws -> String? {
        try store.read { try String.fetchOne($0, sql: "SELECT ends_at FROM grants") }
    }

    @Test func subscriptionEndsAndAnOlderUpdateNeverOverwritesANewerState() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let (processor, store) = try processor()
        // A product id (all-access) is accepted without a per-course price check.
        #expect(
            try await processor.process(subscriptionPurchase("e1"), rawBody: Data()) == .recorded(.granted))
        #expect(try endsAt(store) == nil)
        #expect(
            try await processor.process(subscription("e2", active: false, at: 2_000), rawBody: Data())
                == .recorded(.subscriptionEnded))
        let ended = try endsAt(store)
        #expect(ended?.hasPrefix("1970-01-01T00:33:20") == true)
        // Delivered late: an `updated` from before the cancellation must not re-open access.
        #expect(
            try await processor.process(subscription("e3", active: true, at: 1_000), rawBody: Data())
                == .recorded(.subscriptionStale))
        #expect(try endsAt(store) == ended)
        // A genuinely newer re-activation does.
        #expect(
            try await processor.process(subscription("e4", active: true, at: 3_000), rawBody: Data())
                == .recorded(.subscriptionActive))
        #expect(try endsAt(store) == nil)
    }

    @Test func unknownProductWritesNothingAndSecondEventForAPurchaseGrantsNothingNew() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let (processor, store) = try processor()
        let unknown = PaymentEvent(
            provider: .standard, eventID: "m1", type: "payment.succeeded",
            action: .paid(
                .init(
                    orderID: "o", paymentRef: "p", product: "nope", email: EmailAddress("a@x.test")!,
                    amount: 1, currency: "USD", subscriptionRef: nil)))
        await #expect(throws: HTTPProblem.unknownProduct("nope")) {
            _ = try await processor.process(unknown, rawBody: Data())
        }
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM webhook_events") } == 0)

        var first = subscriptionPurchase("a1")
        #expect(try await processor.process(first, rawBody: Data()) == .recorded(.granted))
        first.eventID = "a2"  // async_payment_succeeded for the same session
        #expect(try await processor.process(first, rawBody: Data()) == .recorded(.alreadyRecorded))
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM grants") } == 1)
    }
}

@Suite struct GroupCommitTests {
    @Test func concurrentEventsAreEachRecordedOnceAndAFailingJobRollsBackAlone() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try openTestStore(sqlitePath: dir.appendingPathComponent("g.sqlite").path)
        let commits = GroupCommit<Int>(store: store)
        struct Boom: Error {}
        let outcomes = await withTaskGroup(of: Result<Int, Error>.self) { group in
            for i in 0..<200 {
                group.addTask {
                    do {
                        return .success(
                            try await commits.submit { ledger in
                                try ledger.db.execute(
                                    sql: "INSERT INTO buyers (email, created_at) VALUES (?, 'now')",
                                    arguments: ["b\(i)@x.test"])
                                if i % 50 == 7 { throw Boom() }  // this job's insert must not survive
                                return i
                            })
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var all: [Result<Int, Error>] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { (try? $0.get()) != nil }.count == 196)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM buyers") } == 196)
        #expect(
            try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM buyers WHERE email = 'b7@x.test'") } == 0)
    }
}
