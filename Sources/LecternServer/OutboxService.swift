import Foundation
import Hummingbird
import LecternCommerce
import Logging
import ServiceLifecycle

/// Runs the outbox sender every second until the daemon shuts down.
struct OutboxService: Service {
    let sender: OutboxSender

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do { try await sender.sendDue() } catch { sender.logger.error("outbox pass failed: \(error)") }
                try? await Task.sleep(for: .seconds(1))
            }
        } onGracefulShutdown: {
        }
    }
}
