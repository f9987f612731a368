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
///
/// Letters (link e-mails queued as their kind and grant) are written here, just before they are sent, by
/// `AccessLinks.compose`; the letters to one recipient claimed together go out as one e-mail.
public final class OutboxSender: Sendable {
    public let store: Store
    public let transport: any MailTransport
    /// Writes letters; nil (a sender without keys) gives them up, unsent.
    public let links: AccessLinks?
    public let logger: Logger
    /// Messages sent at the same time (curl processes, SMTP connections).
    public let concurrency: Int
    /// The `From` address, whose domain ends each Message-ID.
    let from: String
    /// Delivered, not yet recorded: never sent again while this process lives.
    private let unrecorded = Locked<Set<Int64>>([])

    public init(
        store: Store, transport: any MailTransport, logger: Logger, concurrency: Int = 8, from: String = "",
        links: AccessLinks? = nil
    ) {
        self.store = store
        self.transport = transport
        self.links = links
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
            let all = envelopes(batch)
            var start = all.startIndex
            while start < all.endIndex {
                let group = Array(all[start..<min(start + concurrency, all.endIndex)])
                start += group.count
                if Task.isCancelled {
                    try? Outbox.record(
                        delivered: [], released: group.flatMap { $0.messages.map(\.id) }, in: store, now: Date())
                    continue
                }
                sent += try await send(group, now: now)
            }
            if Task.isCancelled { break }
        }
        return sent
    }

    /// What one send carries: an old row as it was queued, or letters to one recipient, written now.
    private struct Envelope: Sendable {
        var messages: [Outbox.Message]
        var first: Outbox.Message { messages[0] }
    }

    /// Letters to one recipient become one envelope (a giver's receipts one of their own, without a link);
    /// an old row is one on its own.
    private func envelopes(_ group: [Outbox.Message]) -> [Envelope] {
        var result: [Envelope] = []
        var byRecipient: [String: Int] = [:]
        for message in group {
            let key = message.recipient + (message.kind == .receipt ? "\u{0}receipt" : "")
            if message.kind != nil, let index = byRecipient[key] {
                result[index].messages.append(message)
            } else {
                if message.kind != nil { byRecipient[key] = result.count }
                result.append(Envelope(messages: [message]))
            }
        }
        return result
    }

    /// Sends one group at once and records what happened.
    private func send(_ group: [Envelope], now: Date) async throws -> Int {
        enum Outcome: Sendable {
            case delivered([Int64])
            case failed([Outbox.Message], String, Date)
            case cancelled([Int64])
            case abandoned([Outbox.Message], String)
        }
        let library = Library(store: store)
        let outcomes = await withTaskGroup(of: Outcome.self) { tasks in
            for envelope in group {
                tasks.addTask {
                    let ids = envelope.messages.map(\.id)
                    // Rows written before addresses were checked at ingestion may hold anything: such a row
                    // is given up, with its reason, and never reaches a transport.
                    guard let recipient = EmailAddress(envelope.first.recipient) else {
                        return .abandoned(envelope.messages, "the recipient is not a deliverable e-mail address")
                    }
                    do {
                        var (subject, body) = (envelope.first.subject, envelope.first.body)
                        if envelope.first.kind != nil {
                            guard let links = self.links else {
                                return .abandoned(envelope.messages, "this sender has no signing key for links")
                            }
                            guard let email = try links.compose(envelope.messages, library: library, now: Date())
                            else {
                                return .abandoned(envelope.messages, "access was withdrawn before the e-mail went out")
                            }
                            (subject, body) = (email.subject, email.body)
                        }
                        try await self.transport.send(
                            to: recipient, subject: subject, body: body,
                            messageID: MailMessage.id(
                                outbox: envelope.first.id, created: envelope.first.createdAt, from: self.from))
                        return .delivered(ids)
                    } catch is CancellationError {
                        return .cancelled(ids)
                    } catch {
                        return Task.isCancelled
                            ? .cancelled(ids) : .failed(envelope.messages, "\(error)", max(now, Date()))
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
            case .delivered(let ids): delivered += ids
            case .failed(let messages, let error, let at): failed += messages.map { ($0, error, at) }
            case .cancelled(let ids): released += ids
            case .abandoned(let messages, let reason):
                for message in messages {
                    do {
                        try Outbox.abandon(message, error: reason, in: store)
                        logger.warning(
                            "e-mail abandoned", metadata: ["outbox_id": "\(message.id)", "reason": "\(reason)"])
                    } catch {
                        // Still claimed: tried again when its lease runs out.
                        logger.error(
                            "abandoned e-mail not recorded",
                            metadata: ["outbox_id": "\(message.id)", "reason": "\(error)"])
                    }
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
