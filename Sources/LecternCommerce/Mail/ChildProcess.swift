import CFileSystem
import Foundation
import LecternCore

/// A program run to completion with text on its standard input (and optionally on descriptor 3): the
/// daemon's children, curl per e-mail and Chromium per PDF edition. Started with `lectern_spawn`
/// (posix_spawn) rather than Foundation's `Process`, whose `run()` on Linux can read past glibc's readdir
/// buffer while it closes descriptors and crash the whole daemon (swift-corelibs-foundation PR 5472, not in
/// Swift 6.3.1).
///
/// Every pipe is non-blocking and polled, so no Swift concurrency thread ever waits on the child: a
/// cancelled caller (a daemon stopping) ends the child at once with SIGKILL, whatever the SMTP server does.
enum ChildProcess {
    struct Result {
        /// The exit status, or 128 + the signal that ended it.
        var status: Int32
        var standardError: String
    }

    /// A write to a pipe whose reader has exited raises SIGPIPE, which ends a process by default:
    /// a child that dies early must cost one failed e-mail, not the daemon.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// One of our ends of a pipe, with the bytes still to write to it (nil for the one we read).
    private struct End {
        var fd: Int32
        var pending: ArraySlice<UInt8>
    }

    /// - Parameter fd3: text the child reads from its descriptor 3 (curl's `--config /dev/fd/3`), written
    ///   before `input`.
    /// - Parameter newProcessGroup: start it in a process group of its own, which is ended whole (a browser and
    ///   its helpers) when the caller is cancelled, and once it has exited.
    static func run(
        _ path: String, _ arguments: [String], input: String, fd3: String? = nil, newProcessGroup: Bool = false
    ) async throws -> Result {
        ignoreBrokenPipes
        var pipes: [[Int32]] = []
        defer { for pipe in pipes { for fd in pipe where fd >= 0 { close(fd) } } }
        for _ in 0..<(fd3 == nil ? 2 : 3) {
            var fds: [Int32] = [-1, -1]
            guard lectern_pipe(&fds) == 0 else { throw failure("cannot create a pipe", errno) }
            pipes.append(fds)
        }
        // pipes[0]: the child's stdin, pipes[1]: its stderr, pipes[2]: its descriptor 3.
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { if devNull >= 0 { close(devNull) } }
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let pid = lectern_spawn(
            path, &argv, pipes[0][0], devNull, pipes[1][1], fd3 == nil ? -1 : pipes[2][0], newProcessGroup ? 1 : 0)
        let spawnError = errno
        // The child's ends are the child's now; ours stay open (closed by the defer, or when done).
        for index in pipes.indices {
            let childEnd = index == 1 ? 1 : 0
            close(pipes[index][childEnd])
            pipes[index][childEnd] = -1
        }
        guard pid > 0 else { throw failure("cannot start \(path)", spawnError) }

        var writes: [End] = []
        if let fd3 { writes.append(End(fd: take(&pipes[2][1]), pending: Array(fd3.utf8)[...])) }
        writes.append(End(fd: take(&pipes[0][1]), pending: Array(input.utf8)[...]))
        let errorFD = take(&pipes[1][0])
        defer {
            for end in writes where end.fd >= 0 { close(end.fd) }
            close(errorFD)
        }
        for fd in writes.map(\.fd) + [errorFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }

        var errorBytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        var status: Int32 = 0
        var exited = false
        /// Ends the child (its group, when it has one) and reaps it: the caller was cancelled.
        func end() {
            kill(newProcessGroup ? -pid : pid, SIGKILL)
            while !exited && waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        while true {
            // A child that writes without pause never lets the loop sleep: look for a cancellation here too.
            if Task.isCancelled {
                end()
                throw CancellationError()
            }
            var progressed = false
            // Inputs in order: the config first (curl reads it before the message), then the message.
            if let index = writes.firstIndex(where: { $0.fd >= 0 }) {
                let written = writes[index].pending.withUnsafeBytes {
                    write(writes[index].fd, $0.baseAddress, $0.count)
                }
                if written > 0 {
                    writes[index].pending = writes[index].pending.dropFirst(written)
                    progressed = true
                }
                // Done, or the child stopped reading (EPIPE): its status says why.
                if writes[index].pending.isEmpty || (written < 0 && errno != EAGAIN && errno != EINTR) {
                    close(writes[index].fd)
                    writes[index].fd = -1
                    progressed = true
                }
            }
            // The exit is looked at before the read, so a read that finds nothing after the exit was seen
            // means the child's last words were read too.
            if !exited {
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid {
                    exited = true
                } else if reaped < 0 && errno != EINTR {
                    throw failure("cannot wait for \(path)", errno)
                }
            }
            let count = read(errorFD, &buffer, buffer.count)
            if count > 0 {
                if errorBytes.count < 65_536 { errorBytes += buffer[0..<count] }
                progressed = true
            } else if count < 0 && errno == EINTR {
                continue
            }
            if exited && count <= 0 { break }
            if progressed { continue }
            do {
                try await Task.sleep(for: .milliseconds(5))
            } catch {
                end()
                throw error
            }
        }
        // Helpers the program left behind go with it.
        if newProcessGroup { kill(-pid, SIGKILL) }
        let signalNumber = status & 0x7f
        return Result(
            status: signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber,
            standardError: String(decoding: errorBytes, as: UTF8.self))
    }

    /// Moves a descriptor out of the pipe table, so the table's cleanup no longer closes it.
    private static func take(_ fd: inout Int32) -> Int32 {
        defer { fd = -1 }
        return fd
    }

    private static func failure(_ what: String, _ code: Int32) -> LecternError {
        LecternError(.mail, "\(what): \(String(cString: strerror(code)))")
    }
}
