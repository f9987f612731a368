import Foundation

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
        var walSize: Int64, walTime: Int64, mainSize: Int64, mainTime: Int64
        /// Nanoseconds since 1970 of the newest change.
        var newest: Int64 { max(walTime, mainTime) }
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
        if let stamp, nowNanos - stamp.newest > Self.settle {
            state.withLock { state in
                if state.stamp != stamp || state.records.count >= Self.capacity { state = (stamp, [:]) }
                state.records[id] = .some(record)
            }
        }
        return record
    }

    private func currentStamp() -> Stamp? {
        var wal = stat(), main = stat()
        guard stat(store.path + "-wal", &wal) == 0, stat(store.path, &main) == 0 else { return nil }
        func nanos(_ info: stat) -> Int64 { Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec) }
        return Stamp(walSize: Int64(wal.st_size), walTime: nanos(wal), mainSize: Int64(main.st_size), mainTime: nanos(main))
    }
}
