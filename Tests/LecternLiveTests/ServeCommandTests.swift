import Foundation
import LecternCommerce
import LecternTestSupport
import Testing

/// `lectern serve` as a creator runs it: a real process on a loopback port, an edit on disk, and the
/// long-poll the page's live-reload script waits on.
@Suite(.serialized) struct ServeCommandTests {
    /// Starts `lectern serve` on a free port; returns the process and its port.
    func serve(_ site: TempSite, _ extra: [String] = []) throws -> (Process, Int) {
        let binary = try #require(CommandLineTests.binary)
        let serve = Process()
        serve.executableURL = binary
        serve.arguments = ["serve", "--root", site.root.path, "--port", "0"] + extra
        let out = Pipe()
        serve.standardOutput = out
        serve.standardError = FileHandle.nullDevice
        try serve.run()
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
        if found == 0 { kill(serve.processIdentifier, SIGKILL) }
        try #require(found > 0, "lectern serve did not start: \(seen)")
        return (serve, found)
    }

    /// Seconds until the process exited after SIGTERM (at most `limit`; then it is killed).
    func stop(_ serve: Process, limit: TimeInterval = 10) -> TimeInterval {
        let started = Date()
        serve.terminate()
        while serve.isRunning && Date().timeIntervalSince(started) < limit { usleep(20_000) }
        if serve.isRunning { kill(serve.processIdentifier, SIGKILL) }
        return Date().timeIntervalSince(started)
    }

    @Test func editsAreServedAndOpenTabsAreToldToReload() async throws {
        let site = try TempSite(withExampleContent: true)
        let (serve, port) = try serve(site)
        defer { _ = stop(serve) }
        func get(_ path: String) throws -> String {
            try runProgram("/usr/bin/curl", ["-s", "--max-time", "30", "http://127.0.0.1:\(port)\(path)"]).stdout
        }

        let paid = try get("/learn/practical-sqlite/schema-design/")
        #expect(paid.contains("Preview — paid lesson") && paid.contains("/_lectern/wait?since="))
        #expect(try get("/courses/practical-sqlite/").contains("Practical SQLite"))

        // A tab waiting for changes is answered when a lesson is saved.
        // Threads of their own and a blocking sleep: the edit must follow the wait by 300 ms of real time.
        let waiting = OnThread {
            try runProgram(
                "/usr/bin/curl", ["-s", "--max-time", "30", "http://127.0.0.1:\(port)/_lectern/wait?since=0"]
            ).stdout
        }
        usleep(300_000)
        let file = "content/practical-sqlite/01-foundations/03-schema-design.md"
        try site.write(file, try site.read(file) + "\nSaved from the editor.\n")
        let answer = try waiting.value()
        #expect(answer.contains("\"generation\":1"), "\(answer)")
        let updated = try get("/learn/practical-sqlite/schema-design/")
        #expect(
            InvisibleMarkCodec.removingMark(updated).contains(
                "Saved from the editor."))

        // A broken edit shows the error on the page instead of stopping the server.
        try site.write(file, "---\ntitle: [unclosed\n---\n")
        try await Task.sleep(for: .milliseconds(800))
        #expect(try get("/").contains("role=\"alert\"") && serve.isRunning)

        // Ctrl-C with a tab open (a live-reload wait in flight) stops at once (issue 17: ~27 s).
        let now = try get("/_lectern/wait?since=-1")  // answers at once with the current generation
        let generation = try #require(Int(now.filter(\.isNumber)), "\(now)")
        let open = OnThread {
            try runProgram(
                "/usr/bin/curl",
                ["-s", "--max-time", "30", "http://127.0.0.1:\(port)/_lectern/wait?since=\(generation)"])
        }
        usleep(300_000)
        let took = stop(serve)
        #expect(took < 5, "lectern serve took \(took) s to stop with a tab open")
        _ = try open.value()
    }

    @Test func draftsAreShownOnlyWithTheDraftsFlag() throws {
        let site = try TempSite(withExampleContent: true)
        try site.write(
            "content/practical-sqlite/02-in-production/08-replication.md",
            "---\ntitle: Replication\ndraft: true\n---\nNot ready yet.\n")
        for (flags, expected) in [([String](), "404"), (["--drafts"], "200")] {
            let (serve, port) = try serve(site, flags)
            defer { _ = stop(serve) }
            let status = try runProgram(
                "/usr/bin/curl",
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}",
                    "http://127.0.0.1:\(port)/learn/practical-sqlite/replication/",
                ])
            #expect(status.stdout == expected, "serve \(flags): \(status.stdout)")
        }
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
