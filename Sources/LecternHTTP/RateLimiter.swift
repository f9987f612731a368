import Foundation
import LecternCore

/// Something that says whether a key may act now: `RateLimiter` in memory (one node), or counts kept in the
/// database that nodes sharing it all see (`SharedRateLimiter` in the server).
public protocol RequestLimiter: Sendable {
    /// Whether `key` may act now, spending one action if so.
    func take(_ key: String, now: Date) -> RateLimiter.Decision
}

extension RequestLimiter {
    public func take(_ key: String) -> RateLimiter.Decision { take(key, now: Date()) }
}

/// A token bucket per key (an e-mail address, a client address): `limit` actions per `period`, refilled
/// continuously. In memory: a restart forgets, which at worst allows one more burst.
///
/// The table is bounded: a flood of distinct keys (spoofed addresses, made-up e-mails) cannot grow it
/// past `capacity`. When it is full, buckets that have refilled (idle keys) are dropped, at most once
/// a second so a flood does not turn each request into a scan; if it is still full, a key it has no
/// bucket for is refused. Refusing, not evicting: evicting a busy bucket would hand its owner a fresh
/// budget, which is exactly what a flood would be for.
public final class RateLimiter: RequestLimiter {
    public enum Decision: Sendable, Equatable {
        case allowed
        case limited(retryAfter: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: Date
    }
    private struct State {
        var buckets: [String: Bucket] = [:]
        var lastPrune = Date.distantPast
    }

    public let limit: Int
    public let period: TimeInterval
    public let capacity: Int
    private let state = Locked(State())

    public init(limit: Int, per period: TimeInterval, capacity: Int = 50_000) {
        self.limit = limit
        self.period = period
        self.capacity = capacity
    }

    public var count: Int { state.withLock { $0.buckets.count } }

    /// Whether `key` may act now, spending one token if so.
    public func take(_ key: String, now: Date) -> Decision {
        let rate = Double(limit) / period
        return state.withLock { state in
            if state.buckets[key] == nil, state.buckets.count >= capacity {
                if now.timeIntervalSince(state.lastPrune) >= 1 {
                    state.lastPrune = now
                    state.buckets = state.buckets.filter {
                        $0.value.tokens + max(0, now.timeIntervalSince($0.value.updated)) * rate < Double(limit)
                    }
                }
                if state.buckets.count >= capacity { return .limited(retryAfter: Int((1 / rate).rounded(.up))) }
            }
            var bucket = state.buckets[key] ?? Bucket(tokens: Double(limit), updated: now)
            bucket.tokens = min(Double(limit), bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * rate)
            bucket.updated = now
            defer { state.buckets[key] = bucket }
            guard bucket.tokens >= 1 else {
                return .limited(retryAfter: Int(((1 - bucket.tokens) / rate).rounded(.up)))
            }
            bucket.tokens -= 1
            return .allowed
        }
    }
}
