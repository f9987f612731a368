import Foundation
import LecternCore
import LecternStore

/// The browser a request comes from, as far as sharing signals go: its network (an IPv4 /24 or an IPv6
/// /48, never the whole address) and its browser family ("Chrome/Android").
public struct ClientInfo: Sendable {
    public var network: String
    /// Worked out only for a sign-in: a paid page's request never needs it.
    public var browser: String { browserFamily() }
    private let browserFamily: @Sendable () -> String

    public init(network: String, browser: @autoclosure @escaping @Sendable () -> String) {
        self.network = network
        browserFamily = browser
    }

    /// What tests and the CLI pass when there is no request.
    public static let unknown = ClientInfo(network: "unknown", browser: "other")
}

/// Sign-ins as sessions, and the early warning for shared links (the watermark is the deterrent).
///
/// Every sign-in starts a session whose id goes into that browser's cookies (MAC'd with them). Each paid
/// request notes its session's network for the day and its last-seen time in memory, once per session,
/// day and network (last seen at most every 5 minutes); `flush` writes them in one transaction, off the
/// requests' path. A session ended — signed out, "sign out other devices", or over `[daemon] max_devices`
/// (the least recently seen go first) — no longer opens anything: whether one is ended is read from the
/// store at most every 10 seconds per session.
public final class DeviceSessions: Sendable {
    public let sessions: Sessions
    /// Most browsers signed in at once per buyer; nil for no limit.
    public let maxDevices: Int?
    /// `session → (ended reason or nil, when read)`.
    private let state = Locked<[String: (reason: String?, read: Date)]>([:])
    /// `session|day|network` noted (pending or written), and each session's last-seen time as written.
    private let noted = Locked<(sightings: Set<String>, lastSeen: [String: Date])>(([], [:]))
    private let pending = Locked<[Sessions.Sighting]>([])

    static let stateLifetime: TimeInterval = 10
    static let lastSeenResolution: TimeInterval = 300
    /// In-memory notes are forgotten past this many entries (they are only there to spare writes).
    static let memoryLimit = 200_000

    public init(store: Store, maxDevices: Int? = nil) {
        sessions = Sessions(store: store)
        self.maxDevices = maxDevices.flatMap { $0 > 0 ? $0 : nil }
    }

    /// 128 random bits, base64url (22 characters).
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode(Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }

    /// The shape `newID` makes: checked before a cookie's session is used for anything.
    public static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 22
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_")
            }
    }

    /// A new session for a sign-in; over the device limit, the buyer's least recently seen sessions end.
    public func start(buyer: Int64, grant: Int64, client: ClientInfo, now: Date = Date()) throws -> String {
        let id = Self.newID()
        let ended = try sessions.start(
            id: id, buyer: buyer, grant: grant, network: client.network, browser: client.browser, keep: maxDevices,
            now: now)
        markEnded(ended, reason: "device limit", now: now)
        noted.withLock { notes in
            notes.sightings.insert(Self.noteKey(id, Self.day(now), client.network))
            notes.lastSeen[id] = now
        }
        return id
    }

    /// Why a session was ended (nil while it is live, and for a cookie from before sessions).
    public func endedReason(_ id: String, now: Date = Date()) throws -> String? {
        guard !id.isEmpty else { return nil }
        if let known = state.withLock({ $0[id] }), now.timeIntervalSince(known.read) < Self.stateLifetime {
            return known.reason
        }
        let reason = try sessions.endedReason(id)
        state.withLock { cache in
            if cache.count >= Self.memoryLimit { cache.removeAll() }
            cache[id] = (reason, now)
        }
        return reason
    }

    /// Notes a request from a live session; written by the next `flush`.
    public func seen(_ id: String, client: ClientInfo, now: Date = Date()) {
        guard !id.isEmpty else { return }
        let day = Self.day(now)
        let key = Self.noteKey(id, day, client.network)
        let due = noted.withLock { notes -> Bool in
            if notes.sightings.count >= Self.memoryLimit { notes = ([], [:]) }
            let newNetwork = notes.sightings.insert(key).inserted
            let stale = notes.lastSeen[id].map { now.timeIntervalSince($0) >= Self.lastSeenResolution } ?? true
            if newNetwork || stale { notes.lastSeen[id] = now }
            return newNetwork || stale
        }
        if due {
            pending.withLock { waiting in
                guard waiting.count < Self.memoryLimit else { return }
                waiting.append(Sessions.Sighting(session: id, day: day, network: client.network, at: now))
            }
        }
    }

    /// Writes what `seen` noted; on failure the notes are kept for the next flush.
    public func flush() throws {
        let batch = pending.withLock { taken -> [Sessions.Sighting] in
            defer { taken.removeAll() }
            return taken
        }
        do { try sessions.record(batch) } catch {
            pending.withLock { $0.insert(contentsOf: batch.prefix(max(0, Self.memoryLimit - $0.count)), at: 0) }
            throw error
        }
    }

    /// This browser signs out.
    public func end(_ id: String, now: Date = Date()) throws {
        guard !id.isEmpty else { return }
        try sessions.end(id, reason: "signed out", now: now)
        markEnded([id], reason: "signed out", now: now)
    }

    /// "Sign out other devices": every session of the buyer's but this browser's ends.
    public func endOthers(buyer: Int64, keeping id: String, now: Date = Date()) throws -> Int {
        let ended = try sessions.endOthers(
            buyer: buyer, keeping: id, reason: "signed out from another device", now: now)
        markEnded(ended, reason: "signed out from another device", now: now)
        return ended.count
    }

    private func markEnded(_ ids: [String], reason: String, now: Date) {
        guard !ids.isEmpty else { return }
        state.withLock { cache in for id in ids { cache[id] = (reason, now) } }
    }

    private static func noteKey(_ id: String, _ day: String, _ network: String) -> String { "\(id)|\(day)|\(network)" }

    /// "2026-11-22", UTC: the day a sighting counts for, as the store writes its timestamps.
    static func day(_ date: Date) -> String { String(Store.timestamp(date).prefix(10)) }
}
