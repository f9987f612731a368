import Foundation
import LecternStore
import Logging
import ServiceLifecycle

/// Empties webhook raw bodies and deletes checkouts and the sessions' networks past `[daemon]
/// raw_body_retention`: at start, then hourly.
struct RetentionService: Service {
    let store: Store
    let rawBodyRetention: TimeInterval
    let logger: Logger

    func run() async throws {
        // The hour's sleep is cancelled on SIGTERM: a stop must not wait for the next pass.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged =
                        try Retention.purgeRawBodies(in: store, olderThan: rawBodyRetention)
                        + Sessions(store: store).purge(olderThan: rawBodyRetention)
                    if purged > 0 {
                        logger.info(
                            "personal data past retention removed (raw webhook bodies, old checkouts, sessions)",
                            metadata: ["count": "\(purged)"])
                    }
                } catch {
                    logger.warning("retention pass failed, will retry: \(error)")
                }
                try await Task.sleep(for: .seconds(3_600))
            }
        }
    }
}
