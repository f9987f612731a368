import Foundation
import Hummingbird
import LecternCore
import Logging

/// Counters behind `/metrics` (Prometheus text format 0.0.4): requests by route and status, a latency
/// histogram by route, webhook results by provider, and the outbox depth read at scrape time.
/// Hand-written: a dozen lines of text do not justify a metrics stack in the build.
final class RequestMetrics: Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: RequestMetrics.buckets.count)
        var sum = 0.0
        var count = 0
    }
    private struct State {
        var requests: [String: [Int: Int]] = [:]
        var latency: [String: Histogram] = [:]
        var webhooks: [String: [String: Int]] = [:]
    }

    private let state = Locked(State())

    func record(route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[route, default: [:]][status, default: 0] += 1
            var histogram = state.latency[route] ?? Histogram()
            for (index, bound) in Self.buckets.enumerated() where seconds <= bound { histogram.counts[index] += 1 }
            histogram.sum += seconds
            histogram.count += 1
            state.latency[route] = histogram
        }
    }

    func recordWebhook(provider: String, result: String) {
        state.withLock { $0.webhooks[provider, default: [:]][result, default: 0] += 1 }
    }

    func render(outboxDepth: Int?) -> String {
        let snapshot = state.withLock { $0 }
        var out =
            "# HELP lectern_http_requests_total HTTP requests by route and status.\n"
            + "# TYPE lectern_http_requests_total counter\n"
        for (route, statuses) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
            for (status, count) in statuses.sorted(by: { $0.key < $1.key }) {
                out += "lectern_http_requests_total{route=\"\(Self.label(route))\",status=\"\(status)\"} \(count)\n"
            }
        }
        out +=
            "# HELP lectern_http_request_duration_seconds Time to answer, by route.\n"
            + "# TYPE lectern_http_request_duration_seconds histogram\n"
        for (route, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            let name = Self.label(route)
            for (index, bound) in Self.buckets.enumerated() {
                out += "lectern_http_request_duration_seconds_bucket{route=\"\(name)\",le=\"\(bound)\"} "
                out += "\(histogram.counts[index])\n"
            }
            out += "lectern_http_request_duration_seconds_bucket{route=\"\(name)\",le=\"+Inf\"} \(histogram.count)\n"
            out += "lectern_http_request_duration_seconds_sum{route=\"\(name)\"} \(histogram.sum)\n"
            out += "lectern_http_request_duration_seconds_count{route=\"\(name)\"} \(histogram.count)\n"
        }
        out +=
            "# HELP lectern_webhook_events_total Webhook events by provider and result.\n"
            + "# TYPE lectern_webhook_events_total counter\n"
        for (provider, results) in snapshot.webhooks.sorted(by: { $0.key < $1.key }) {
            for (result, count) in results.sorted(by: { $0.key < $1.key }) {
                out += "lectern_webhook_events_total{provider=\"\(Self.label(provider))\","
                out += "result=\"\(Self.label(result))\"} \(count)\n"
            }
        }
        if let outboxDepth {
            out +=
                "# HELP lectern_outbox_depth E-mails waiting to be sent.\n# TYPE lectern_outbox_depth gauge\n"
                + "lectern_outbox_depth \(outboxDepth)\n"
        }
        return out
    }

    private static func label(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Times every request and counts it under its route pattern (`/learn/{course}/**`, not the raw path,
/// so the label set stays small whatever clients ask for).
/// Counts every request, and logs every one that failed with its reason: one line each, naming the route
/// pattern (never the URL, which may hold a token), the status and the problem's kind and detail (which
/// never hold secrets, tokens or bodies; see `HTTPProblem`).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = LecternRequestContext
    let metrics: RequestMetrics
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.record(
                route: context.endpointPath ?? "unmatched", status: response.status.code,
                seconds: Self.seconds(since: start))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            let route = context.endpointPath ?? "unmatched"
            metrics.record(route: route, status: status, seconds: Self.seconds(since: start))
            var metadata: Logger.Metadata = ["method": "\(request.method)", "route": "\(route)", "status": "\(status)"]
            if let problem = error as? HTTPProblem {
                metadata["problem"] = "\(problem.kind.rawValue)"
                metadata["reason"] = "\(problem.cause ?? problem.detail)"
            } else {
                metadata["reason"] = "\(type(of: error))"
            }
            logger.log(level: status >= 500 ? .error : .warning, "request failed", metadata: metadata)
            throw error
        }
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// Refuses requests whose header block is larger than `limit` bytes with 431, below NIO's own 80 KiB
/// ceiling (which closes the connection with a bare 400).
struct HeaderLimitMiddleware: RouterMiddleware {
    typealias Context = LecternRequestContext
    let limit: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let size = request.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
        guard size <= limit else {
            throw HTTPProblem(
                status: 431, kind: .headersTooLarge, title: "Request header fields too large",
                detail: "the request's headers total \(size) bytes; the limit is \(limit)")
        }
        return try await next(request, context)
    }
}
