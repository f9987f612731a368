import Foundation
import Hummingbird
import LecternCommerce
import Logging
import ServiceLifecycle

/// Runs the outbox sender every second until the daemon shuts down. A graceful shutdown (SIGTERM) cancels
/// the pass in flight: its sends end at once (curl is killed), their messages stay queued (their claims are
/// released), so stopping takes as long as the in-flight HTTP requests, whatever the SMTP server does.
struct OutboxService: Service {
    let sender: OutboxSender

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await sender.sendDue() } catch { sender.logger.error("outbox pass failed: \(error)") }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
