import Foundation

/// Runs independent jobs (parsing files, rendering pages) on all cores and returns results in job
/// order. The first error (in job order, so messages are stable from run to run) is rethrown after
/// all workers stop.
package enum ParallelMap {
    package static func run<Job, Result>(
        _ jobs: [Job], progress: (@Sendable (Int, Int) -> Void)?,
        _ work: (Job) throws -> Result
    ) throws -> [Result] {
        let box = ResultBox<Result>(count: jobs.count)
        let total = jobs.count
        withoutActuallyEscaping(work) { work in
            let shared = UncheckedBox(work: work, jobs: jobs)
            DispatchQueue.concurrentPerform(iterations: total) { index in
                let outcome = Swift.Result { try shared.work(shared.jobs[index]) }
                let done = box.store(outcome, at: index)
                progress?(done, total)
            }
        }
        return try box.results()
    }

    /// Carries non-Sendable values into the worker closure; safe because workers only read them.
    private struct UncheckedBox<Job, Result>: @unchecked Sendable {
        let work: (Job) throws -> Result
        let jobs: [Job]
    }

    private final class ResultBox<Result>: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Swift.Result<Result, Error>?]
        private var done = 0

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        func store(_ outcome: Swift.Result<Result, Error>, at index: Int) -> Int {
            lock.lock()
            defer { lock.unlock() }
            slots[index] = outcome
            done += 1
            return done
        }

        func results() throws -> [Result] {
            try slots.map { try $0!.get() }
        }
    }
}
