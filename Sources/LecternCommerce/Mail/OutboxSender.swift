import Foundation
import LecternCore
import LecternStore
import Logging

/// Sends due outbox rows through a transport, marking each sent or scheduling a retry with backoff.
public struct OutboxSender: Sendable {
    public let store: Store
    public let transport: any MailTransport
    public let logger: Logger

    public init(store: Store, transport: any MailTransport, logger: Logger) {
        self.store = store
        self.transport = transport
        self.logger = logger
    }

    /// One pass over the due messages; returns how many were sent.
    @discardableResult
    public func sendDue(now: Date = Date()) async throws -> Int {
        var sent = 0
        for message in try Outbox.due(in: store, now: now) {
            // Rows written before addresses were checked at ingestion may hold anything: such a row is
            // given up, with its reason, and never reaches a transport.
            guard let recipient = EmailAddress(message.recipient) else {
                try Outbox.abandon(message, error: "the recipient is not a deliverable e-mail address", in: store)
                logger.warning("e-mail abandoned: undeliverable recipient", metadata: ["outbox_id": "\(message.id)"])
                continue
            }
            do {
                try await transport.send(to: recipient, subject: message.subject, body: message.body)
                try Outbox.markSent(message.id, in: store, now: now)
                sent += 1
                logger.info("e-mail sent", metadata: ["outbox_id": "\(message.id)"])
            } catch {
                try Outbox.markFailed(message, error: "\(error)", in: store, now: now)
                logger.warning(
                    "e-mail failed, will retry",
                    metadata: ["outbox_id": "\(message.id)", "attempt": "\(message.attempts + 1)"])
            }
        }
        return sent
    }
}
