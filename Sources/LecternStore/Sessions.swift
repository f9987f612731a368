import Foundation

/// The browsers a buyer is signed in on: one session per sign-in (a signed link opened, or the claim page
/// after paying), named in that browser's cookies. Each keeps when it was first and last seen, its browser
/// family and, per day, the networks (an IPv4 /24, an IPv6 /48; never a whole address) it was seen from.
/// That is the early warning for shared links (`lectern sharing`), and what `[daemon] max_devices` counts.
public struct Sessions: Sendable {
    public struct Device: Sendable, Equatable {
        public var id: String
        public var browser: String
        public var startedAt: Date
        public var lastSeenAt: Date
    }

    /// A request seen from a session: recorded in batches, off the request's path.
    public struct Sighting: Sendable, Hashable {
        public var session: String
        /// "2026-11-22" (UTC).
        public var day: String
        public var network: String
        public var at: Date

        public init(session: String, day: String, network: String, at: Date) {
            (self.session, self.day, self.network, self.at) = (session, day, network, at)
        }
    }

    /// One buyer seen from many networks on one day.
    public struct SharingSignal: Sendable, Equatable {
        public var email: String
        public var day: String
        public var networks: Int
        /// Sessions seen that day, and the browser families among them.
        public var sessions: Int
        public var browsers: [String]
        /// Sessions started (sign-ins) in the whole period looked at.
        public var signIns: Int
    }

    public let store: Store

    public init(store: Store) { self.store = store }

    /// Records a new session. With `keep` set, the buyer's other sessions beyond the `keep - 1` most
    /// recently seen are ended ("device limit"), so that with this one `keep` stay; returns the ids ended.
    @discardableResult
    public func start(
        id: String, buyer: Int64, grant: Int64, network: String, browser: String, keep: Int? = nil,
        now: Date = Date()
    ) throws -> [String] {
        try store.write { db in
            let stamp = Store.timestamp(now)
            var ended: [String] = []
            if let keep, keep > 0 {
                let live = try String.fetchAll(
                    db,
                    sql: """
                        SELECT id FROM sessions WHERE buyer_id = ? AND ended_at IS NULL
                        ORDER BY last_seen_at DESC, started_at DESC
                        """, arguments: [buyer])
                ended = Array(live.dropFirst(keep - 1))
                for session in ended {
                    try db.execute(
                        sql: "UPDATE sessions SET ended_at = ?, ended_reason = 'device limit' WHERE id = ?",
                        arguments: [stamp, session])
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO sessions (id, buyer_id, grant_id, started_at, last_seen_at, network, browser)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
                    """, arguments: [id, buyer, grant, stamp, stamp, network, browser])
            try db.execute(
                sql: "INSERT INTO session_sightings (session_id, day, network) VALUES (?, ?, ?) "
                    + "ON CONFLICT DO NOTHING",
                arguments: [id, String(stamp.prefix(10)), network])
            return ended
        }
    }

    /// Why a session was ended, nil while it is live (or unknown: a database restored from before it).
    public func endedReason(_ id: String) throws -> String? {
        try store.readOneStatement { db in
            try String.fetchOne(
                db, sql: "SELECT ended_reason FROM sessions WHERE id = ? AND ended_at IS NOT NULL",
                arguments: [id])
        }
    }

    /// Ends one session (the buyer signed out on that browser).
    public func end(_ id: String, reason: String, now: Date = Date()) throws {
        try store.write { db in
            try db.execute(
                sql: "UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE id = ? AND ended_at IS NULL",
                arguments: [Store.timestamp(now), reason, id])
        }
    }

    /// Ends every live session of the buyer but `keeping`; returns the ids ended.
    public func endOthers(buyer: Int64, keeping: String, reason: String, now: Date = Date()) throws -> [String] {
        try store.write { db in
            let others = try String.fetchAll(
                db, sql: "SELECT id FROM sessions WHERE buyer_id = ? AND ended_at IS NULL AND id <> ?",
                arguments: [buyer, keeping])
            for id in others {
                try db.execute(
                    sql: "UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE id = ?",
                    arguments: [Store.timestamp(now), reason, id])
            }
            return others
        }
    }

    /// The buyer's live sessions, most recently seen first.
    public func devices(buyer: Int64) throws -> [Device] {
        try store.read { db in
            try SQLRow.fetchAll(
                db,
                sql: """
                    SELECT id, browser, started_at, last_seen_at FROM sessions
                    WHERE buyer_id = ? AND ended_at IS NULL ORDER BY last_seen_at DESC
                    """, arguments: [buyer]
            ).map { row in
                Device(
                    id: row["id"], browser: row["browser"],
                    startedAt: Store.date(fromTimestamp: row["started_at"]) ?? Date(timeIntervalSince1970: 0),
                    lastSeenAt: Store.date(fromTimestamp: row["last_seen_at"]) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }

    /// Stores a batch of sightings in one transaction: the day's network (once) and the last-seen time.
    public func record(_ sightings: [Sighting]) throws {
        guard !sightings.isEmpty else { return }
        try store.write { db in
            for sighting in sightings {
                try db.execute(
                    sql: "INSERT INTO session_sightings (session_id, day, network) VALUES (?, ?, ?) "
                        + "ON CONFLICT DO NOTHING",
                    arguments: [sighting.session, sighting.day, sighting.network])
                try db.execute(
                    sql: "UPDATE sessions SET last_seen_at = \(db.dialect.greatest)(last_seen_at, ?) WHERE id = ?",
                    arguments: [Store.timestamp(sighting.at), sighting.session])
            }
        }
    }

    /// Buyers seen from at least `networks` networks on one day since `since`, busiest first.
    public func signals(since: Date, networks: Int) throws -> [SharingSignal] {
        try store.read { db in
            try SQLRow.fetchAll(
                db,
                sql: """
                    SELECT b.email, x.day, COUNT(DISTINCT x.network) AS networks, COUNT(DISTINCT s.id) AS sessions,
                      \(db.dialect.joined("DISTINCT s.browser")) AS browsers,
                      (SELECT COUNT(*) FROM sessions t WHERE t.buyer_id = b.id AND t.started_at >= ?) AS sign_ins
                    FROM session_sightings x JOIN sessions s ON s.id = x.session_id JOIN buyers b ON b.id = s.buyer_id
                    WHERE x.day >= ?
                    GROUP BY b.id, x.day HAVING COUNT(DISTINCT x.network) >= ?
                    ORDER BY networks DESC, x.day DESC, b.email
                    """,
                arguments: [Store.timestamp(since), String(Store.timestamp(since).prefix(10)), networks]
            ).map { row in
                let browsers: String = row["browsers"] ?? ""
                return SharingSignal(
                    email: row["email"], day: row["day"], networks: row["networks"], sessions: row["sessions"],
                    browsers: browsers.split(separator: ",").map(String.init).sorted(), signIns: row["sign_ins"])
            }
        }
    }

    /// Forgets networks seen before `now - age` and sessions not seen since then (a browser that comes back
    /// after that is let in by its cookie, untracked, until its next sign-in).
    @discardableResult
    public func purge(olderThan age: TimeInterval, now: Date = Date()) throws -> Int {
        let cutoff = Store.timestamp(now.addingTimeInterval(-age))
        return try store.write { db in
            try db.execute(sql: "DELETE FROM session_sightings WHERE day < ?", arguments: [String(cutoff.prefix(10))])
            let sightings = db.changesCount
            try db.execute(sql: "DELETE FROM sessions WHERE last_seen_at < ?", arguments: [cutoff])
            return sightings + db.changesCount
        }
    }
}
