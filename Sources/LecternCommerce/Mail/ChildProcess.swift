import CFileSystem
import Foundation
import LecternCore

/// A program run to completion with text on its standard input: the daemon's one child, curl, per
/// e-mail. Started with `lectern_spawn` (posix_spawn) rather than Foundation's `Process`, whose
/// `run()` on Linux can read past glibc's readdir buffer while it closes descriptors and crash the
/// whole daemon (swift-corelibs-foundation PR 5472, not in Swift 6.3.1; seen in this project's tests).
enum ChildProcess {
    struct Result {
        /// The exit status, or 128 + the signal that ended it.
        var status: Int32
        var standardError: String
    }

    /// A write to a pipe whose reader has exited raises SIGPIPE, which ends a process by default:
    /// a child that dies early must cost one failed e-mail, not the daemon.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    static func run(_ path: String, _ arguments: [String], input: String) async throws -> Result {
        ignoreBrokenPipes
        var stdinPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard lectern_pipe(&stdinPipe) == 0 else { throw failure("cannot create a pipe", errno) }
        guard lectern_pipe(&stderrPipe) == 0 else {
            let saved = errno
            close(stdinPipe[0])
            close(stdinPipe[1])
            throw failure("cannot create a pipe", saved)
        }
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let pid = lectern_spawn(path, &argv, stdinPipe[0], devNull, stderrPipe[1])
        let spawnError = errno
        close(stdinPipe[0])
        close(stderrPipe[1])
        if devNull >= 0 { close(devNull) }
        guard pid > 0 else {
            close(stdinPipe[1])
            close(stderrPipe[0])
            throw failure("cannot start \(path)", spawnError)
        }

        var pending = Array(input.utf8)[...]
        while !pending.isEmpty {
            let written = pending.withUnsafeBytes { write(stdinPipe[1], $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { break }  // the child stopped reading: its status says why
            pending = pending.dropFirst(written)
        }
        close(stdinPipe[1])

        var errorBytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = read(stderrPipe[0], &buffer, buffer.count)
            if count > 0 {
                errorBytes += buffer[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(stderrPipe[0])

        // Polled, so the wait never blocks a Swift concurrency thread; a cancelled caller ends the child.
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            do {
                try await Task.sleep(for: .milliseconds(5))
            } catch {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw error
            }
        }
        let signalNumber = status & 0x7f
        return Result(
            status: signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber,
            standardError: String(decoding: errorBytes, as: UTF8.self))
    }

    private static func failure(_ what: String, _ code: Int32) -> LecternError {
        LecternError(.mail, "\(what): \(String(cString: strerror(code)))")
    }
}
