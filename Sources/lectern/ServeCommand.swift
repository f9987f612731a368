import ArgumentParser
import Foundation
import LecternBuild
import LecternConfig
import LecternPreview
import LecternStore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Preview the site: build into memory, serve it, rebuild what an edit touches, reload open tabs.",
        discussion: "Paid lessons are shown with a preview stamp; no daemon or payment is needed. Ctrl-C stops it.")

    @OptionGroup var site: SiteOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 8000
    @Flag(help: "Show draft courses and lessons too (as `lectern build --drafts` publishes them).") var drafts = false

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0–65535") }
    }

    func run() async throws {
        let started = Date()
        let preview = try PreviewSite(
            root: site.rootURL, includeDrafts: drafts,
            purchases: { PaidPurchases.baskets(databasePath: $0.databaseLocation) })
        let server = PreviewServer(
            site: preview, host: host, port: port,
            report: { line in
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            },
            onRunning: { port in
                let line =
                    "Built in \(Int(Date().timeIntervalSince(started) * 1000)) ms. Preview on http://\(host):\(port)/"
                    + " (watching content/, site-template/, lectern.toml)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            })
        try await server.run()
    }
}
