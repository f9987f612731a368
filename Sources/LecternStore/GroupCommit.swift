import Foundation

/// Group commit: write jobs that arrive while a commit is running share the next transaction, so many
/// webhooks share one fsync (one commit, one writer's lock on PostgreSQL) instead of paying one each.
///
/// Every caller still gets its answer only after the transaction holding its job committed (durable,
/// `synchronous = FULL`). A job that throws rolls back only its own writes; if the commit itself fails,
/// every job of the batch gets the error (and the provider retries). With one connection the batch is
/// whatever queued during the previous commit: no timer, no added latency when idle.
public final class GroupCommit<Output: Sendable>: @unchecked Sendable {
    // @unchecked: `pending` and `draining` are only touched under `lock`.
    private struct Entry {
        let job: @Sendable (Ledger) throws -> Output
        let continuation: CheckedContinuation<Output, Error>
    }

    private let store: Store
    private let lock = NSLock()
    private var pending: [Entry] = []
    private var draining = false
    private let queue = DispatchQueue(label: "lectern.group-commit")

    public init(store: Store) { self.store = store }

    /// Runs `job` in the next batch's transaction. A job may run twice (see `commit`), so it must do nothing
    /// but its `Ledger`'s writes and return what they decided.
    public func submit(_ job: @escaping @Sendable (Ledger) throws -> Output) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = lock.withLock {
                pending.append(Entry(job: job, continuation: continuation))
                defer { draining = true }
                return !draining
            }
            if startDrain { queue.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            let batch: [Entry] = lock.withLock {
                let taken = pending
                pending = []
                if taken.isEmpty { draining = false }
                return taken
            }
            if batch.isEmpty { return }
            var results: [Result<Output, Error>] = []
            do {
                results = try commit(batch)
                store.noteWrite(nil)
                for (entry, result) in zip(batch, results) { entry.continuation.resume(with: result) }
            } catch {
                store.noteWrite(error)
                for entry in batch { entry.continuation.resume(throwing: error) }
            }
        }
    }

    /// A job's own error, told apart from the database's in the first attempt.
    private struct JobFailed: Error {
        let error: any Error
    }

    /// Runs the batch in one transaction. First without savepoints, which on PostgreSQL cost two round trips
    /// per job; only when a job throws (rare: the webhook processor's refusals come before its job) is the
    /// batch run again from the start, each job in a savepoint, so that job's writes alone are undone.
    private func commit(_ batch: [Entry]) throws -> [Result<Output, Error>] {
        do {
            return try store.engine.write { db in
                try batch.map { entry in
                    do { return .success(try entry.job(Ledger(db))) } catch { throw JobFailed(error: error) }
                }
            }
        } catch let failed as JobFailed {
            // One job: its transaction held nothing else, so rolling it back was all a savepoint would do.
            // (Unless the database failed it: then the batch failed, as a failed commit does.)
            if batch.count == 1 {
                if store.engine.isDatabaseError(failed.error) { throw failed.error }
                return [.failure(failed.error)]
            }
        }
        return try store.engine.write { db in
            var results: [Result<Output, Error>] = []
            for entry in batch {
                var outcome: Result<Output, Error> = .failure(CancellationError())
                try db.inSavepoint {
                    do {
                        outcome = .success(try entry.job(Ledger(db)))
                        return true
                    } catch {
                        outcome = .failure(error)
                        return false
                    }
                }
                results.append(outcome)
            }
            return results
        }
    }
}
