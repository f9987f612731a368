import Foundation

/// A value shared between threads, touched only under a lock. The daemon's caches and counters use
/// it; their critical sections are a dictionary lookup or an increment, never I/O.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
