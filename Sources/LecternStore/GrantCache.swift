import Foundation
import LecternCore

/// Grant records kept in memory until the database changes: the gate asks for the same few grants
/// thousands of times a second, and nothing about them changes between writes.
///
/// "The database changed" is the engine's `ChangeStamp` (SQLite: the files' sizes and times, which every
/// commit by any process moves; PostgreSQL: a count every node's commits raise, told by NOTIFY). The
/// stamp is taken before the read, so a change committed during it leaves the record under an old stamp,
/// never served again.
public final class GrantCache: Sendable {
    private static let capacity = 100_000

    private let store: Store
    private let state = Locked<(stamp: ChangeStamp?, records: [Int64: GrantRecord?])>((nil, [:]))

    public init(store: Store) { self.store = store }

    public func record(id: Int64) throws -> GrantRecord? {
        let stamp = store.engine.changeStamp()
        if let stamp, let hit = state.withLock({ $0.stamp == stamp ? $0.records[id] : nil }) { return hit }
        let record = try GrantRecord.load(id: id, from: store)
        if let stamp, stamp.settled {
            state.withLock { state in
                if state.stamp != stamp || state.records.count >= Self.capacity { state = (stamp, [:]) }
                state.records[id] = .some(record)
            }
        }
        return record
    }
}
