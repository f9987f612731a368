import Foundation

/// Group commit: write jobs that arrive while a commit is running share the next transaction, each
/// in its own savepoint, so many webhooks share one fsync instead of paying one each.
///
/// Every caller still gets its answer only after the transaction holding its job committed (durable,
/// `synchronous = FULL`). A job that throws rolls back only its savepoint; if the commit itself fails,
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
                try store.engine.write { db in
                    results = []
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
                }
                store.noteWrite(nil)
                for (entry, result) in zip(batch, results) { entry.continuation.resume(with: result) }
            } catch {
                store.noteWrite(error)
                for entry in batch { entry.continuation.resume(throwing: error) }
            }
        }
    }
}
