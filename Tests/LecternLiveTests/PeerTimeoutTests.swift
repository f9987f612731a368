import Foundation
import LecternTestSupport
import Testing

/// A test peer that stops answering must fail its test within its time, never hold the suite: CI once ran out
/// its 90 minutes on a headless Chromium that never replied to a DevTools call.
@Suite struct PeerTimeoutTests {
    @Test func aProgramPastItsTimeIsKilledAndSaysSo() throws {
        let started = Date()
        let run = try runProgram("/bin/sleep", ["60"], timeout: 1)
        #expect(run.status == SIGKILL)
        #expect(run.stderr.contains("killed after 1 s"))
        #expect(Date().timeIntervalSince(started) < 30, "the watchdog did not end the program")
    }

    @Test func aProgramWritingMuchToBothStreamsFinishes() throws {
        // More than a pipe's 64 KiB on stderr while stdout is read: both are drained at once.
        let run = try runProgram(
            "/bin/sh", ["-c", "head -c 300000 /dev/zero | tr '\\\\0' e >&2; head -c 300000 /dev/zero | tr '\\\\0' o"],
            timeout: 60)
        #expect(run.status == 0 && run.stdout.count == 300_000 && run.stderr.count == 300_000)
    }

    /// A page whose server accepts the connection and never answers: the browser peer gives up at its
    /// `--timeout` with exit status 3 and the step it waited on.
    @Test func theBrowserPeerGivesUpOnAPageThatNeverLoads() throws {
        guard chromiumIsInstalled() else { return }
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(silent >= 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0 && listen(silent, 16) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(silent, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let shot = FileManager.default.temporaryDirectory.appendingPathComponent("silent-\(UUID().uuidString).png")
        let started = Date()
        let run = try runProgram(
            "/usr/bin/env",
            [
                "python3", repoRoot.appendingPathComponent("Tests/peers/browser_peer.py").path,
                "http://127.0.0.1:\(port)/", shot.path, "--timeout", "4",
            ], timeout: 120)
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("no result after 4 s"), "\(run.stderr)")
        #expect(Date().timeIntervalSince(started) < 60)
    }
}
