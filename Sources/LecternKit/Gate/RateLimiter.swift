import Foundation

/// A token bucket per key (an e-mail address, a client address): `limit` actions per `period`, refilled
/// continuously. In memory: a restart forgets, which at worst allows one more burst.
public final class RateLimiter: Sendable {
    public enum Decision: Sendable, Equatable {
        case allowed
        case limited(retryAfter: Int)
    }

    private struct Bucket { var tokens: Double; var updated: Date }

    public let limit: Int
    public let period: TimeInterval
    private let buckets = Locked<[String: Bucket]>([:])
    /// Above this many keys, full buckets (idle keys) are forgotten.
    private static let pruneAbove = 10_000

    public init(limit: Int, per period: TimeInterval) {
        self.limit = limit
        self.period = period
    }

    public func take(_ key: String, now: Date = Date()) -> Decision {
        let rate = Double(limit) / period
        return buckets.withLock { buckets in
            if buckets.count > Self.pruneAbove {
                buckets = buckets.filter { $0.value.tokens + now.timeIntervalSince($0.value.updated) * rate < Double(limit) }
            }
            var bucket = buckets[key] ?? Bucket(tokens: Double(limit), updated: now)
            bucket.tokens = min(Double(limit), bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return .limited(retryAfter: Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return .allowed
        }
    }
}
