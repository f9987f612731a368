import Foundation
import LecternTestSupport
import Testing

/// `lectern serve` as a creator runs it: a real process on a loopback port, an edit on disk, and the
/// long-poll the page's live-reload script waits on.
@Suite(.serialized) struct ServeCommandTests {
    @Test func editsAreServedAndOpenTabsAreToldToReload() async throws {
        let site = try TempSite(withExampleContent: true)
        let binary = try #require(CommandLineTests.binary)
        let serve = Process()
        serve.executableURL = binary
        serve.arguments = ["serve", "--root", site.root.path, "--port", "0"]
        let out = Pipe()
        serve.standardOutput = out
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer {
            serve.terminate()
            let deadline = Date().addingTimeInterval(5)
            while serve.isRunning && Date() < deadline { usleep(20_000) }
            if serve.isRunning { kill(serve.processIdentifier, SIGKILL) }
        }
        var seen = ""
        var found = 0
        let deadline = Date().addingTimeInterval(20)
        while found == 0 && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let range = seen.range(of: "Preview on http://127.0.0.1:") {
                found = Int(seen[range.upperBound...].prefix { $0.isNumber }) ?? 0
            }
        }
        try #require(found > 0, "lectern serve did not start: \(seen)")
        let port = found
        func get(_ path: String) throws -> String {
            try runProgram("/usr/bin/curl", ["-s", "--max-time", "30", "http://127.0.0.1:\(port)\(path)"]).stdout
        }

        let paid = try get("/learn/practical-sqlite/schema-design/")
        #expect(paid.contains("Preview — paid lesson") && paid.contains("/_lectern/wait?since="))
        #expect(try get("/courses/practical-sqlite/").contains("Practical SQLite"))

        // A tab waiting for changes is answered when a lesson is saved.
        let waiting = Task.detached {
            try runProgram(
                "/usr/bin/curl", ["-s", "--max-time", "30", "http://127.0.0.1:\(port)/_lectern/wait?since=0"]
            ).stdout
        }
        try await Task.sleep(for: .milliseconds(300))
        let file = "content/practical-sqlite/01-foundations/03-schema-design.md"
        try site.write(file, try site.read(file) + "\nSaved from the editor.\n")
        let answer = try await waiting.value
        #expect(answer.contains("\"generation\":1"), "\(answer)")
        let updated = try get("/learn/practical-sqlite/schema-design/")
        #expect(
            String(updated.unicodeScalars.filter { !(0x2060...0x2064).contains($0.value) }).contains(
                "Saved from the editor."))

        // A broken edit shows the error on the page instead of stopping the server.
        try site.write(file, "---\ntitle: [unclosed\n---\n")
        try await Task.sleep(for: .milliseconds(800))
        #expect(try get("/").contains("role=\"alert\"") && serve.isRunning)
    }

    @Test func verboseBuildListsCoursesAndErrorsAreNotColouredOffATerminal() throws {
        let binary = try #require(CommandLineTests.binary).path
        let site = try TempSite(withExampleContent: true)
        let verbose = try runProgram(binary, ["build", "--root", site.root.path, "--verbose"])
        #expect(verbose.status == 0 && verbose.stdout.contains("practical-sqlite: 7 lessons (2 free, 5 paid)"))
        try site.write("lectern.toml", try site.read("lectern.toml") + "\nunknown_key = 1\n")
        let failed = try runProgram(binary, ["build", "--root", site.root.path])
        #expect(failed.status == 1 && failed.stderr.contains("error:") && !failed.stderr.contains("\u{1B}["))
    }
}
