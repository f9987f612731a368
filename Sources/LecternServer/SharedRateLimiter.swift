import Foundation
import LecternHTTP
import LecternStore
import Logging

/// A `RequestLimiter` whose counts live in the store (`RateCounters`), for nodes sharing PostgreSQL. A store
/// that cannot count lets the request through: what it asks for needs the store too, and fails there.
struct SharedRateLimiter: RequestLimiter {
    let counters: RateCounters
    let limit: Int
    let period: TimeInterval
    let logger: Logger

    func take(_ key: String, now: Date) -> RateLimiter.Decision {
        do {
            let spent = try counters.spend(key, limit: limit, window: period, now: now)
            return spent.allowed ? .allowed : .limited(retryAfter: max(1, spent.retryAfter))
        } catch {
            logger.warning("rate limit not counted: \(error)")
            return .allowed
        }
    }
}
