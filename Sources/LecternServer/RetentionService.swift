import Foundation
import LecternCommerce
import LecternStore
import Logging
import ServiceLifecycle

/// Empties webhook raw bodies and deletes checkouts and the sessions' networks past `[daemon]
/// raw_body_retention`, and buyers' kept editions once their grant opens nothing or after a week: at start,
/// then hourly.
struct RetentionService: Service {
    let store: Store
    let rawBodyRetention: TimeInterval
    let editions: EditionShelf
    let logger: Logger
    /// A kept edition is made again after this long: it names its buyer, and costs disk per grant.
    static let editionLifetime: TimeInterval = 7 * 86_400
    /// How often a pass runs.
    static let period: TimeInterval = 3_600

    func run() async throws {
        // The hour's sleep is cancelled on SIGTERM: a stop must not wait for the next pass.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    // One node per hour does the database's part (nodes sharing PostgreSQL); editions are each
                    // node's own files, swept by each.
                    let turn = try store.takeTurn("retention", every: Self.period - 60)
                    let purged =
                        turn
                        ? try Retention.purgeRawBodies(in: store, olderThan: rawBodyRetention)
                            + Sessions(store: store).purge(olderThan: rawBodyRetention)
                            + RateCounters(store: store).purge(olderThan: 86_400) : 0
                    if purged > 0 {
                        logger.info(
                            "personal data past retention removed (raw webhook bodies, old checkouts, sessions)",
                            metadata: ["count": "\(purged)"])
                    }
                } catch {
                    logger.warning("retention pass failed, will retry: \(error)")
                }
                let now = Date()
                editions.sweep(maxAge: Self.editionLifetime, now: now) { grant in
                    // A grant that cannot be read now is kept for the next pass.
                    do {
                        return try GrantRecord.load(id: grant, from: store)?.state(at: now) == .live
                    } catch {
                        return true
                    }
                }
                try await Task.sleep(for: .seconds(Self.period))
            }
        }
    }
}
