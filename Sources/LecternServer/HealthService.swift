import Foundation
import LecternStore
import ServiceLifecycle

/// Writes a heartbeat when nothing else wrote for a while, so `/healthz` learns that the database stopped
/// taking writes (disk full, a lock held elsewhere) even on a quiet day; and records the build this node
/// serves, so nodes sharing a database can tell one left on an older build.
struct HealthService: Service {
    let store: Store
    let build: @Sendable () -> Date
    static let interval: TimeInterval = 5

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if Date().timeIntervalSince(store.lastWrite.at) >= Self.interval { try? store.heartbeat() }
                try? store.noteBuild(build())
                try await Task.sleep(for: .seconds(Self.interval))
            }
        }
    }
}
