import Foundation
import LecternCore
import LecternStore
import Logging
import NIOCore
import PostgresNIO

/// One connection per node that LISTENs for `lectern_changes`, which every write transaction NOTIFYs at
/// COMMIT: the stamp it gives (`PostgresEngine.changeStamp`) changes when any node commits, so a grant
/// revoked on node A is read again on node B at its next request after the notification arrives.
///
/// Fallbacks, because a notification can be missed: while the listening connection is down there is no
/// stamp (no caching at all), and a new connection starts a new epoch; every stamp also carries the current
/// `ttl` window, so nothing cached outlives it whatever happened. The connection is kept by a thread of its
/// own, which reconnects (to whichever server accepts writes, after a failover) a second after losing it.
final class ChangeListener: @unchecked Sendable {
    // @unchecked: every mutable field is inside `state`; `engine` is weak and only read by the thread.
    private struct State {
        var connection: PostgresConnection?
        var listening = false
        var epoch: Int64 = 0
        var generation: Int64 = 0
        var stopped = false
    }

    static let ttl: TimeInterval = 2
    private let state = Locked(State())
    private weak var engine: PostgresEngine?

    init(engine: PostgresEngine) {
        self.engine = engine
        Thread.detachNewThread { [self] in keepListening() }
    }

    func stamp(now: Date = Date()) -> ChangeStamp? {
        state.withLock { state in
            guard state.listening else { return nil }
            let window = Int64((now.timeIntervalSince1970 / Self.ttl).rounded(.down))
            return ChangeStamp(parts: [state.epoch, state.generation, window], settled: true)
        }
    }

    /// This node's own commit: caches here need not wait for its notification to come back.
    func noteLocalCommit() { state.withLock { $0.generation &+= 1 } }

    func stop() {
        let connection = state.withLock { state in
            state.stopped = true
            state.listening = false
            return state.connection
        }
        connection?.closeQuietly()
    }

    private func keepListening() {
        while !state.withLock({ $0.stopped }) {
            guard let connection = listen() else {
                Thread.sleep(forTimeInterval: 1)
                continue
            }
            try? connection.closeFuture.wait()
            state.withLock { state in
                state.listening = false
                state.connection = nil
            }
            if !state.withLock({ $0.stopped }) { Thread.sleep(forTimeInterval: 1) }
        }
    }

    /// A connection listening for changes, or nil (no server, or the engine is gone).
    private func listen() -> PostgresConnection? {
        guard let engine, let connection = try? engine.connect() else { return nil }
        connection.addListener(channel: PostgresStatements.changeChannel) { [weak self] _, _ in
            self?.state.withLock { $0.generation &+= 1 }
        }
        let db = PostgresSession(connection: connection, logger: engine.logger, timeout: engine.timeout)
        guard (try? db.run(PostgresStatements.listenForChanges, [])) != nil else {
            connection.closeQuietly()
            return nil
        }
        let stopped = state.withLock { state in
            state.connection = connection
            state.listening = !state.stopped
            state.epoch &+= 1
            return state.stopped
        }
        if stopped { connection.closeQuietly() }
        return connection
    }
}
