import Foundation
import Testing

@testable import LecternCommerce

/// How many editions are made at once: the rest wait their turn, in order, and past the queue's length a
/// request is refused at once rather than left waiting.
@Suite struct EditionSlotsTests {
    @Test func oneRunsOneWaitsAndTheThirdIsRefused() async throws {
        let slots = EditionSlots(running: 1, waiting: 1)
        let (gate, opened) = AsyncStream.makeStream(of: Void.self)
        let order = Order()
        let first = Task {
            try await slots.run {
                await order.add("first started")
                for await _ in gate { break }  // holds the slot until the test opens the gate
                await order.add("first done")
            }
        }
        while await order.events.isEmpty { await Task.yield() }
        let second = Task { try await slots.run { await order.add("second") } }
        while await slots.waitingCount == 0 { await Task.yield() }
        await #expect(throws: EditionSlots.Busy.self) { try await slots.run { await order.add("third") } }
        opened.yield()
        try await first.value
        try await second.value
        #expect(await order.events == ["first started", "first done", "second"])
    }

    actor Order {
        var events: [String] = []
        func add(_ event: String) { events.append(event) }
    }
}
