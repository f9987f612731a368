/// How many editions are made at once, and how many requests may wait for a turn; past that a request is refused
/// (503 with Retry-After) rather than queued for minutes. A PDF is a browser run (one at a time); an EPUB is
/// a few milliseconds to a few hundred of CPU on a thread Swift's other tasks share (two at a time).
actor EditionSlots {
    struct Busy: Error {}

    private let running: Int
    private let waiting: Int
    private var busy = 0
    private var queue: [CheckedContinuation<Void, Never>] = []

    /// Requests waiting for a turn now.
    var waitingCount: Int { queue.count }

    init(running: Int, waiting: Int) {
        self.running = running
        self.waiting = waiting
    }

    /// `work`, once a slot is free; `Busy` when `waiting` requests already wait.
    func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        if busy < running {
            busy += 1
        } else {
            guard queue.count < waiting else { throw Busy() }
            // The slot passes from the one that ends to the one that waited longest (`busy` unchanged).
            await withCheckedContinuation { queue.append($0) }
        }
        defer { release() }
        return try await work()
    }

    private func release() {
        if queue.isEmpty { busy -= 1 } else { queue.removeFirst().resume() }
    }
}
