import Foundation
import Testing

/// Whether Debian's chromium is here for the browser tests; records why a test cannot run when not.
func chromiumIsInstalled() -> Bool {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
        Issue.record("chromium is not installed: run scripts/test (it installs Debian's chromium)")
        return false
    }
    return true
}
