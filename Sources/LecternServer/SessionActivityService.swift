import Foundation
import LecternCommerce
import Logging
import ServiceLifecycle

/// Writes the sessions' sightings (`DeviceSessions.seen`) every two seconds, off the requests' path, and
/// once more when the daemon stops.
struct SessionActivityService: Service {
    let devices: DeviceSessions
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                flush()
                try await Task.sleep(for: .seconds(2))
            }
        }
        flush()
    }

    private func flush() {
        do { try devices.flush() } catch { logger.warning("session activity not recorded yet, will retry: \(error)") }
    }
}
