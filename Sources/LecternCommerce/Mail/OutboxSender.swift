import Foundation
import LecternCore
import LecternStore
import Logging

/// Sends due outbox messages through a transport, each once.
///
/// A pass claims due messages first (a write that leases them, see `Outbox.claimDue`): while the store
/// cannot be written nothing is claimed, so nothing is sent that could not be recorded. Claimed messages
/// go out `concurrency` at a time; each group's outcome is recorded in one transaction. A message that
/// was delivered but whose record failed (disk full, database locked) is remembered here and recorded
/// by the next pass that can write, and never sent again meanwhile (its lease also holds it). What
/// remains is a crash between the server's reply and the record: that message is sent once more when its
/// lease runs out, so a buyer gets at most one extra copy, with the same Message-ID.
public final class OutboxSender: Sendable {
    public let store: Store
    public let transport: any MailTransport
    public let logger: Logger
    /// Messages sent at the same time (curl processes, SMTP connections).
    public let concurrency: Int
    /// The `From` address, whose domain ends each Message-ID.
    let from: String
    /// Delivered, not yet recorded: never sent again while this process lives.
    private let unrecorded = Locked<Set<Int64>>([])

    public init(store: Store, transport: any MailTransport, logger: Logger, concurrency: Int = 8, from: String = "") {
        self.store = store
        self.transport = transport
        self.logger = logger
        self.concurrency = max(1, concurrency)
        self.from = from
    }

    /// Messages delivered whose record is still owed (0 when the store keeps up).
    public var unrecordedCount: Int { unrecorded.withLock { $0.count } }

    /// Claims and sends due messages until none is due (or `limit` claims were made); returns how many
    /// were delivered. A cancelled pass (the daemon stopping) ends its sends and releases their claims.
    @discardableResult
    public func sendDue(now: Date = Date(), claims: Int = 100) async throws -> Int {
        try recordUnrecorded(now: now)
        var sent = 0
        for _ in 0..<claims {
            // One group per claim, so no claimed message waits behind slower sends for its lease to run out.
            // Messages queued while this pass runs are due too (a burst drains in one pass).
            let batch = try Outbox.claimDue(
                in: store, now: max(now, Date()), limit: concurrency, skipping: unrecorded.withLock { $0 })
            if batch.isEmpty { break }
            var start = batch.startIndex
            while start < batch.endIndex {
                let group = Array(batch[start..<min(start + concurrency, batch.endIndex)])
                start += group.count
                if Task.isCancelled {
                    try? Outbox.record(delivered: [], released: group.map(\.id), in: store, now: Date())
                    continue
                }
                sent += try await send(group, now: now)
            }
            if Task.isCancelled { break }
        }
        return sent
    }

    /// Sends one group at once and records what happened.
    private func send(_ group: [Outbox.Message], now: Date) async throws -> Int {
        enum Outcome: Sendable {
            case delivered(Int64)
            case failed(Outbox.Message, String, Date)
            case cancelled(Int64)
            case abandoned(Outbox.Message)
        }
        let outcomes = await withTaskGroup(of: Outcome.self) { tasks in
            for message in group {
                tasks.addTask {
                    // Rows written before addresses were checked at ingestion may hold anything: such a row
                    // is given up, with its reason, and never reaches a transport.
                    guard let recipient = EmailAddress(message.recipient) else { return .abandoned(message) }
                    do {
                        try await self.transport.send(
                            to: recipient, subject: message.subject, body: message.body,
                            messageID: MailMessage.id(outbox: message.id, created: message.createdAt, from: self.from))
                        return .delivered(message.id)
                    } catch is CancellationError {
                        return .cancelled(message.id)
                    } catch {
                        return Task.isCancelled
                            ? .cancelled(message.id) : .failed(message, "\(error)", max(now, Date()))
                    }
                }
            }
            var outcomes: [Outcome] = []
            for await outcome in tasks { outcomes.append(outcome) }
            return outcomes
        }
        var delivered: [Int64] = []
        var failed: [(message: Outbox.Message, error: String, at: Date)] = []
        var released: [Int64] = []
        for outcome in outcomes {
            switch outcome {
            case .delivered(let id): delivered.append(id)
            case .failed(let message, let error, let at): failed.append((message, error, at))
            case .cancelled(let id): released.append(id)
            case .abandoned(let message):
                do {
                    try Outbox.abandon(message, error: "the recipient is not a deliverable e-mail address", in: store)
                    logger.warning(
                        "e-mail abandoned: undeliverable recipient", metadata: ["outbox_id": "\(message.id)"])
                } catch {
                    // Still claimed: tried again when its lease runs out.
                    logger.error(
                        "undeliverable e-mail not recorded",
                        metadata: ["outbox_id": "\(message.id)", "reason": "\(error)"])
                }
            }
        }
        unrecorded.withLock { $0.formUnion(delivered) }
        for failure in failed {
            logger.warning(
                "e-mail failed, will retry",
                metadata: [
                    "outbox_id": "\(failure.message.id)", "attempt": "\(failure.message.attempts + 1)",
                    "reason": "\(failure.error)",
                ])
        }
        for id in delivered { logger.info("e-mail sent", metadata: ["outbox_id": "\(id)"]) }
        do {
            try Outbox.record(delivered: delivered, failed: failed, released: released, in: store, now: Date())
            unrecorded.withLock { $0.subtract(delivered) }
        } catch {
            logger.error(
                "e-mail outcome not recorded; kept in memory and recorded when the store can be written",
                metadata: ["messages": "\(delivered.count + failed.count)", "reason": "\(error)"])
            throw error
        }
        return delivered.count
    }

    /// Records deliveries an earlier pass could not; the pass stops here while the store still fails.
    private func recordUnrecorded(now: Date) throws {
        let owed = unrecorded.withLock { Array($0) }
        guard !owed.isEmpty else { return }
        try Outbox.record(delivered: owed, in: store, now: Date())
        unrecorded.withLock { $0.subtract(owed) }
        logger.info("late record of delivered e-mails", metadata: ["messages": "\(owed.count)"])
    }
}
