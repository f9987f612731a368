import Foundation
import LecternTestSupport
import Testing

/// Whether Debian's chromium is here for the browser tests; records why a test cannot run when not.
func chromiumIsInstalled() -> Bool {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
        Issue.record("chromium is not installed: run scripts/test (it installs Debian's chromium)")
        return false
    }
    return true
}

/// Runs `Tests/peers/browser_peer.py` with `arguments`, once more when the browser stopped answering (exit 3:
/// a headless Chromium under CI's load once went silent mid-run), so one wedged renderer fails no test.
func browserPeer(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let command = ["python3", repoRoot.appendingPathComponent("Tests/peers/browser_peer.py").path] + arguments
    let first = try runProgram("/usr/bin/env", command)
    guard first.status == 3 else { return first }
    return try runProgram("/usr/bin/env", command)
}
