import Foundation
import LecternCore

/// Grant records kept in memory until the database changes: the gate asks for the same few grants
/// thousands of times a second, and nothing about them changes between writes.
///
/// "The database changed" is read from the files: in WAL mode every commit, by this process or
/// another (`lectern revoke`), appends to `<db>-wal`, and a checkpoint rewrites the main file, so the
/// two files' size and mtime form a stamp. File times are coarse (one kernel tick, ≤ 10 ms), so two
/// commits in one tick could share a stamp: the cache is only filled when the newest change is older
/// than `settle`, after which any later commit necessarily gets a newer time.
public final class GrantCache: Sendable {
    private struct Stamp: Equatable {
        var wal: FileIdentity, main: FileIdentity
        /// Nanoseconds since 1970 of the newest change.
        var newest: Int64 { max(wal.modified, main.modified) }
    }

    public static let settle: Int64 = 50_000_000  // 50 ms in nanoseconds
    private static let capacity = 100_000

    private let store: Store
    private let state = Locked<(stamp: Stamp?, records: [Int64: GrantRecord?])>((nil, [:]))

    public init(store: Store) { self.store = store }

    public func record(id: Int64) throws -> GrantRecord? {
        let stamp = currentStamp()
        if let stamp, let hit = state.withLock({ $0.stamp == stamp ? $0.records[id] : nil }) { return hit }
        let record = try GrantRecord.load(id: id, from: store)
        // The real clock, not a caller's: the comparison is with file times.
        let nowNanos = Int64(Date().timeIntervalSince1970 * 1e9)
        // Overflow-checked: `newest` comes from file times, which a file dated far off can push to the limits.
        let (age, overflow) = nowNanos.subtractingReportingOverflow(stamp?.newest ?? nowNanos)
        if let stamp, !overflow, age > Self.settle {
            state.withLock { state in
                if state.stamp != stamp || state.records.count >= Self.capacity { state = (stamp, [:]) }
                state.records[id] = .some(record)
            }
        }
        return record
    }

    private func currentStamp() -> Stamp? {
        guard let wal = FileIdentity(path: store.path + "-wal"), let main = FileIdentity(path: store.path) else {
            return nil
        }
        return Stamp(wal: wal, main: main)
    }
}
