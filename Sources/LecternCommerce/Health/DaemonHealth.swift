import Foundation
import LecternCore
import LecternStore

/// What `/healthz` says, and why. Three answers, for three kinds of watcher:
/// - `ok` (200): the store takes writes and the outbox keeps up.
/// - `degraded` (200): the daemon serves and records, but e-mail is stuck (SMTP down, a message older than
///   `outboxStuckAfter` still waiting) or deliveries wait to be recorded. Alert a human; taking this node out
///   of a load balancer would not help, every node shares the same mail server. Also when another node
///   sharing the database serves a newer build (the paid bundle was not copied here).
/// - `unavailable` (503): the database cannot be written (disk full, read-only, a lock held past the busy
///   timeout). Webhooks are answered 503 and retried by the providers; readiness probes (nginx
///   `max_fails`, Kubernetes `readinessProbe`, systemd `ExecStartPost` checks) should take the node out.
public struct DaemonHealth: Sendable {
    public enum Status: String, Sendable {
        case ok, degraded, unavailable
    }

    public struct Report: Sendable, Equatable {
        public var status: Status
        public var reasons: [String]
    }

    public let store: Store
    public let sender: OutboxSender?
    public let outboxStuckAfter: TimeInterval
    /// When the build this node serves was made (the live bundle's manifest).
    public let build: (@Sendable () -> Date)?

    public init(
        store: Store, sender: OutboxSender?, outboxStuckAfter: TimeInterval = 15 * 60,
        build: (@Sendable () -> Date)? = nil
    ) {
        self.store = store
        self.sender = sender
        self.outboxStuckAfter = outboxStuckAfter
        self.build = build
    }

    public func report(now: Date = Date()) -> Report {
        var reasons: [String] = []
        var status = Status.ok
        do {
            try store.check()
        } catch {
            return Report(status: .unavailable, reasons: ["the database cannot be read: \(error)"])
        }
        let write = store.lastWrite
        if !write.succeeded {
            status = .unavailable
            reasons.append("the database cannot be written: \(write.reason ?? "unknown error")")
        }
        if let oldest = try? Outbox.oldestWaiting(in: store), now.timeIntervalSince(oldest) > outboxStuckAfter {
            if status == .ok { status = .degraded }
            reasons.append("outbox stuck: a message has waited \(Int(now.timeIntervalSince(oldest)) / 60) minutes")
        }
        if let owed = sender?.unrecordedCount, owed > 0 {
            if status == .ok { status = .degraded }
            reasons.append("\(owed) delivered e-mail(s) not yet recorded")
        }
        if let served = build?(), let newest = try? store.newestBuild(), newest > served {
            if status == .ok { status = .degraded }
            reasons.append(
                "serving the build of \(Store.timestamp(served)); another node serves the newer build of "
                    + "\(Store.timestamp(newest)): copy paid/ here")
        }
        return Report(status: status, reasons: reasons)
    }
}
