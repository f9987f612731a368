import Foundation
import Hummingbird
import LecternBuild
import LecternCore
import LecternServer
import Logging
import ServiceLifecycle

/// `lectern serve`: the site from memory (`PreviewSite`), rebuilt when files change, with open tabs
/// reloaded by a long-poll script injected into each HTML page. For the creator's machine only: it
/// binds to loopback by default, shows paid lessons with a preview stamp, and needs no daemon.
public struct PreviewServer: Sendable {
    let site: PreviewSite
    let application: Application<RouterResponder<LecternRequestContext>>
    let pollInterval: Duration
    let report: @Sendable (String) -> Void

    public init(
        site: PreviewSite, host: String = "127.0.0.1", port: Int = 8000, pollInterval: Duration = .milliseconds(250),
        report: @escaping @Sendable (String) -> Void, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.site = site
        self.pollInterval = pollInterval
        self.report = report
        let router = Router(context: LecternRequestContext.self)
        // Ctrl-C waits for in-flight requests, and an open tab always has one here: the wait ends when the
        // server starts to stop (it took ~27 s to stop with a tab open), and the tab's script polls again.
        // (The server's graceful shutdown reaches its request tasks; a separate service would hear of it
        // only after the server had finished, as a group stops its services in reverse order.)
        router.get("/_lectern/wait") { request, _ -> Response in
            let since = request.uri.queryParameters["since"].flatMap { Int($0) } ?? -1
            let deadline = ContinuousClock.now + .seconds(25)
            while site.generation == since && ContinuousClock.now < deadline && !Task.isShuttingDownGracefully {
                try await Task.sleep(for: .milliseconds(100))
            }
            return .json(["generation": site.generation])
        }
        router.get("/") { request, _ in Self.respond(site, request) }
        router.get("/**") { request, _ in Self.respond(site, request) }
        var logger = Logger(label: "lectern-preview")
        logger.logLevel = .warning
        application = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "lectern-preview"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    public func run() async throws {
        let site = self.site
        let interval = pollInterval
        let report = self.report
        let watcher = Task.detached {
            var lastError: String?
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                let refresh = site.refresh()
                if let error = site.error {
                    if error.description != lastError { report(error.description) }
                    lastError = error.description
                } else if refresh.rendered > 0 {
                    lastError = nil
                    report(
                        "Rebuilt \(refresh.rendered) page\(refresh.rendered == 1 ? "" : "s")"
                            + (refresh.full ? " (full)" : "") + " in \(Int(refresh.seconds * 1000)) ms"
                    )
                }
            }
        }
        defer { watcher.cancel() }
        try await application.runService()
    }

    static func respond(_ site: PreviewSite, _ request: Request) -> Response {
        guard let path = request.uri.path.removingPercentEncoding, RequestPath(path) != nil else {
            return .html("Bad path", status: .badRequest)
        }
        var status = HTTPResponse.Status.ok
        var page = site.resource(at: path)
        if page == nil {
            status = .notFound
            page = site.resource(at: "/404.html")
        }
        guard var page else { return .html("Not found", status: .notFound) }
        if page.contentType.hasPrefix("text/html") {
            page.bytes = Array(injected(into: String(decoding: page.bytes, as: UTF8.self), site: site).utf8)
        }
        var headers = HTTPFields()
        headers[.contentType] = page.contentType
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: page.bytes)))
    }

    /// The live-reload script, and the current content error as a banner, before `</body>`.
    static func injected(into html: String, site: PreviewSite) -> String {
        var extra = """
            <script>(() => { const seen = \(site.generation); const wait = async () => {
              try { const r = await fetch('/_lectern/wait?since=' + seen); const j = await r.json();
                    if (j.generation !== seen) { location.reload(); return; } }
              catch (e) { await new Promise((done) => setTimeout(done, 1000)); }
              wait(); }; wait(); })();</script>
            """
        if let error = site.error {
            extra =
                "<pre role=\"alert\" style=\"position:fixed;inset:auto 0 0 0;margin:0;padding:1rem;"
                + "background:#7a1010;color:#fff;white-space:pre-wrap;z-index:9\">"
                + MarkupEscaping.escape(error.description) + "</pre>" + extra
        }
        guard let end = html.range(of: "</body>", options: .backwards) else { return html + extra }
        return html.replacingCharacters(in: end, with: extra + "</body>")
    }
}
