import Foundation
import LecternBuild
import LecternConfig
import LecternCore
import LecternStore

/// The package root, found from this file's path so tests run from any working directory.
public let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
public let fixturesRoot = repoRoot.appendingPathComponent("Tests/Fixtures")

/// A site in a fresh temporary folder: the repository's default template plus whatever files a test
/// (or a fixture folder) puts on top. Removed when the value is deinitialized.
public final class TempSite {
    public let root: URL

    public init(copying source: URL? = nil, withExampleContent: Bool = false) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lectern-test-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        try fm.copyItem(
            at: repoRoot.appendingPathComponent("site-template"), to: root.appendingPathComponent("site-template"))
        if withExampleContent {
            try fm.copyItem(at: repoRoot.appendingPathComponent("content"), to: root.appendingPathComponent("content"))
            try fm.copyItem(
                at: repoRoot.appendingPathComponent("lectern.toml"), to: root.appendingPathComponent("lectern.toml"))
        }
        if let source { try overlay(source) }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    private var database: String?

    /// The database this site's store and daemon use in a test: its own SQLite file, or under
    /// `LECTERN_TEST_ENGINE=postgres` a new database on the throwaway server (made on first use).
    public func testDatabase() throws -> String {
        if let database { return database }
        let made =
            PostgresCluster.selected
            ? try PostgresCluster.newDatabase() : root.appendingPathComponent("lectern.sqlite").path
        database = made
        return made
    }

    /// Copies every file under `source` into the site, replacing files of the same path.
    public func overlay(_ source: URL) throws {
        let fm = FileManager.default
        guard let walker = fm.enumerator(at: source, includingPropertiesForKeys: [.isRegularFileKey]) else { return }
        for case let file as URL in walker
        where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let relative = String(file.standardizedFileURL.path.dropFirst(source.standardizedFileURL.path.count + 1))
            let target = root.appendingPathComponent(relative)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
            try fm.copyItem(at: file, to: target)
        }
    }

    public func write(_ relativePath: String, _ text: String) throws {
        let target = root.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: target, atomically: true, encoding: .utf8)
    }

    public func read(_ relativePath: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relativePath), encoding: .utf8)
    }

    public func exists(_ relativePath: String) -> Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent(relativePath).path)
    }

    @discardableResult
    public func build(drafts: Bool = false) throws -> SiteBuilder.Report {
        // As `lectern build` does: co-purchases from the site's database, if the daemon made one.
        try SiteBuilder(
            options: .init(
                root: root, includeDrafts: drafts,
                purchases: { PaidPurchases.baskets(databasePath: $0.databaseLocation) })
        ).build()
    }

    /// Every regular file under a folder of the site, as (relative path, bytes).
    public func files(under folder: String) -> [(String, Data)] {
        let base = root.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        var result: [(String, Data)] = []
        for case let file as URL in walker
        where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let relative = String(file.standardizedFileURL.path.dropFirst(base.standardizedFileURL.path.count + 1))
            result.append((relative, (try? Data(contentsOf: file)) ?? Data()))
        }
        return result.sorted { $0.0 < $1.0 }
    }

    /// A built course's paid pages (`paid/<course>/*.page`), in file-name order.
    public func paidPages(of course: String) throws -> [PaidPage] {
        let folder = root.appendingPathComponent("paid/\(course)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".page") }
            .sorted().map { try PaidPage.decode(Data(contentsOf: folder.appendingPathComponent($0)), file: $0) }
    }

    /// Names in the site folder (to check that no staging folders are left behind).
    public func topLevelNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
    }
}

/// The minimal `lectern.toml` most tests start from.
public let minimalConfig = """
    title = "Test School"
    base_url = "https://school.test"

    [build]
    buy_url = "https://pay.test/{course}"

    """

public func courseIndex(title: String = "Course", price: String = "\"10.00\"", extra: String = "") -> String {
    "---\ntitle: \(title)\nsummary: A course.\nprice: \(price)\n\(extra)---\nLanding text.\n"
}

public func lesson(_ title: String, free: Bool = false, body: String) -> String {
    "---\ntitle: \(title)\nfree: \(free)\n---\n\(body)\n"
}

/// The error a throwing expression raised, as a LecternError (nil if it did not throw one).
public func lecternError(_ body: () throws -> Void) -> LecternError? {
    do {
        try body()
        return nil
    } catch let error as LecternError { return error } catch { return nil }
}

/// Runs a program to completion with `input` on stdin; returns its exit status, stdout and stderr.
/// Polls for exit instead of `waitUntilExit`, which can hang on Swift concurrency threads on Linux.
/// A program still running after `timeout` seconds is killed (status 9 by signal, and a note on stderr):
/// a peer that stops answering (a headless browser once did, under CI's load) must fail its test, not hold
/// the whole run until CI's limit. Nothing here waits on Dispatch's or Swift's shared threads (a few of
/// each on 2 cores, which a few long programs could all hold): stderr goes to a file, read after the exit,
/// and the watchdog is a thread of its own.
public func runProgram(
    _ executable: String, _ arguments: [String], input: Data = Data(),
    environment: [String: String]? = nil, in directory: URL? = nil, timeout: TimeInterval = 240
) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = directory }
    let errors = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).stderr")
    guard FileManager.default.createFile(atPath: errors.path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown)
    }
    defer { try? FileManager.default.removeItem(at: errors) }
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = try FileHandle(forWritingTo: errors)
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    try stderr.close()
    let watchdog = Watchdog(pid: process.processIdentifier, after: timeout)
    stdin.fileHandleForWriting.write(input)
    try stdin.fileHandleForWriting.close()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    while process.isRunning { usleep(2_000) }
    let note = watchdog.disarm() ? "\n[runProgram: killed after \(Int(timeout)) s without finishing]" : ""
    let err = (try? Data(contentsOf: errors)) ?? Data()
    return (
        process.terminationStatus, String(decoding: out, as: UTF8.self),
        String(decoding: err, as: UTF8.self) + note
    )
}

/// Runs `body` on a thread of its own, not on Swift's shared pool: tests that run programs keep that pool's
/// few threads blocked, so a task started or resumed there can wait tens of seconds under load, and a step
/// meant to follow another by 300 ms (an edit while a tab waits for it) then comes too late.
public final class OnThread<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error> = .failure(CancellationError())

    public init(_ body: @escaping @Sendable () throws -> Value) {
        Thread.detachNewThread { [self] in
            result = Result { try body() }
            done.signal()
        }
    }

    /// Waits for the thread (blocking) and returns what `body` returned, or throws what it threw.
    public func value() throws -> Value {
        done.wait()
        return try result.get()
    }
}

/// Kills a process that outlives its time, unless disarmed first. Its own thread: a timer on a shared queue
/// would fire late exactly when the machine is busiest.
private final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private let disarmed = DispatchSemaphore(value: 0)
    private var armed = true
    private var fired = false

    init(pid: Int32, after seconds: TimeInterval) {
        Thread.detachNewThread { [self] in
            guard disarmed.wait(timeout: .now() + seconds) == .timedOut else { return }
            lock.withLock {
                guard armed else { return }
                fired = true
                kill(pid, SIGKILL)
            }
        }
    }

    /// Stops the watchdog; whether it had already killed the process.
    func disarm() -> Bool {
        let killed = lock.withLock {
            armed = false
            return fired
        }
        disarmed.signal()
        return killed
    }
}

/// A program this package builds (`lectern`, `lecternd`): next to the test bundle (SwiftPM puts products
/// in one folder), else in `.build/debug`.
public func builtProgram(_ name: String) -> URL? {
    let candidates = [
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name),
        Bundle.main.bundleURL.appendingPathComponent(name),
        repoRoot.appendingPathComponent(".build/debug/\(name)"),
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

/// The theme's English words a reader of another language must never see: every plain string (no
/// values inside) of `site-template/strings/en.toml`.
public enum SiteLanguageProbe {
    public static func englishPhrases() throws -> [String] {
        let text = try String(
            contentsOf: repoRoot.appendingPathComponent("site-template/strings/en.toml"), encoding: .utf8)
        let table = try TOMLSettingsReader.read(text, file: "en.toml", step: .template)
        return try table.entries.keys.compactMap { try table.string($0) }.filter { !$0.contains("{") }
    }

    /// Whether `text` holds `phrase` as whole words ("Read" is not in "Already").
    public static func shows(_ text: String, _ phrase: String) -> Bool {
        var search = text.startIndex..<text.endIndex
        while let found = text.range(of: phrase, range: search) {
            let before = found.lowerBound > text.startIndex ? text[text.index(before: found.lowerBound)] : " "
            let after = found.upperBound < text.endIndex ? text[found.upperBound] : " "
            if !before.isLetter && !after.isLetter { return true }
            search = found.upperBound..<text.endIndex
        }
        return false
    }
}
