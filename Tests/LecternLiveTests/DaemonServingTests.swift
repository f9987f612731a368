import Foundation
import GRDB
import LecternCommerce
import LecternTestSupport
import Testing

/// Serving `public/` and the paid bundle: validators, HEAD, gzip, hostile paths and headers,
/// re-send limits, metrics, and hot reload after a rebuild.
@Suite(.serialized) struct DaemonServingTests {
    @Test func publicFilesHaveValidatorsHeadGzipAnd404() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        let css = try daemon.site.read("public/style.css")

        let plain = try daemon.curl("/style.css")
        #expect(plain.status == 200 && plain.body == css)
        #expect(
            plain.header("Content-Type") == ["text/css; charset=utf-8"] && plain.header("Vary") == ["Accept-Encoding"])
        let etag = try #require(plain.header("ETag").first)
        let modified = try #require(plain.header("Last-Modified").first)

        // gzip when asked: curl --compressed decodes it back to the same bytes.
        let gzipped = try daemon.curl("/style.css", arguments: ["--compressed"])
        #expect(
            gzipped.header("Content-Encoding") == ["gzip"] && gzipped.body == css && gzipped.header("ETag") != [etag])

        // Conditional requests and HEAD.
        #expect(try daemon.curl("/style.css", arguments: ["-H", "If-None-Match: \(etag)"]).status == 304)
        #expect(try daemon.curl("/style.css", arguments: ["-H", "If-None-Match: \"nope\""]).status == 200)
        #expect(try daemon.curl("/style.css", arguments: ["-H", "If-Modified-Since: \(modified)"]).status == 304)
        let head = try daemon.curl("/style.css", arguments: ["-I"])
        #expect(
            head.status == 200 && head.header("Content-Length") == [String(css.utf8.count)]
                && head.header("ETag") == [etag])

        // Pretty URLs: a folder without its slash is redirected; HTML revalidates every time.
        let folder = try daemon.curl("/courses/practical-sqlite")
        #expect(folder.status == 301 && folder.header("Location") == ["/courses/practical-sqlite/"])
        let landing = try daemon.curl("/courses/practical-sqlite/")
        #expect(
            landing.status == 200 && landing.header("Cache-Control") == ["no-cache"]
                && landing.header("Referrer-Policy") == ["same-origin"])
        let missing = try daemon.curl("/no/such/page/")
        let notFoundPage = try daemon.site.read("public/404.html")
        #expect(missing.status == 404 && missing.body == notFoundPage)
    }

    @Test func hostilePathsAndHeadersAreRefused() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        // A symlink inside public/ that points outside it, and a secret next to public/.
        try FileManager.default.createSymbolicLink(
            atPath: daemon.site.root.appendingPathComponent("public/escape.toml").path,
            withDestinationPath: daemon.site.root.appendingPathComponent("lectern.toml").path)
        let attempts = [
            "/../lectern.toml", "/%2e%2e/lectern.toml", "/%2E%2E%2Flectern.toml", "/courses/..%2f..%2flectern.toml",
            "/courses/%5c..%5clectern.toml", "/courses\\..\\lectern.toml", "/index.html%00.txt", "/.staging/index.html",
            "/escape.toml", "/learn/practical-sqlite/..%2f..%2fpaid/manifest.json",
            "/learn/practical-sqlite/%2e%2e/manifest.json",
            "/learn/..%2fpaid/manifest.json", "/%252e%252e/lectern.toml", "/keys/active",
        ]
        for path in attempts {
            let reply = try daemon.curl(path)
            #expect([400, 404, 303].contains(reply.status), "\(path) → \(reply.status)")
            #expect(!reply.body.contains("base_url") && !reply.body.contains("\"courses\""), "\(path) leaked a file")
        }
        // Headers over 16 KiB: 431 with a problem body.
        let big = try daemon.curl("/", arguments: ["-H", "X-Padding: \(String(repeating: "a", count: 20_000))"])
        #expect(big.status == 431 && big.body.contains("headers-too-large"))
        // /metrics answers the operator's bearer token (LECTERN_METRICS_TOKEN).
        #expect(
            try daemon.curl("/metrics", arguments: ["-H", "Authorization: Bearer \(DaemonHarness.metricsToken)"]).body
                .contains("lectern_http_requests_total{route=\"/**\",status=\"400\"}"))
    }

    @Test func resendAnswersEveryoneAlikeAndRateLimits() async throws {
        let daemon = try await DaemonHarness(extraConfig: "resend_per_client = 4\nresend_per_address = 2")
        defer { _ = daemon.stop() }
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_1", session: "cs_1", paymentIntent: "pi_1"))
        _ = try await daemon.receivedMail(count: 1)
        let buyer = try daemon.curl(
            "/access/resend", arguments: ["-d", "email=ADA@example.com&course=practical-sqlite"])
        let stranger = try daemon.curl(
            "/access/resend", arguments: ["-d", "email=eve@example.com&course=practical-sqlite"])
        #expect(buyer.status == 202 && stranger.status == 202 && buyer.body == stranger.body)
        // Only the buyer gets a (second) e-mail, with a working link.
        let mails = try await daemon.receivedMail(count: 2)
        #expect(mails.count == 2 && mails.allSatisfy { $0.contains("To: ada@example.com") })
        #expect(try daemon.curl(try daemon.link(in: mails[1])).status == 303)
        // Per address: the third request for ada within the hour is refused, for anyone asking.
        #expect(try daemon.curl("/access/resend", arguments: ["-d", "email=ada@example.com"]).status == 202)
        let limited = try daemon.curl(
            "/access/resend", arguments: ["-d", "email=ada@example.com", "-H", "Accept: application/json"])
        #expect(limited.status == 429 && !limited.header("Retry-After").isEmpty)
        // Per client: a flood of different addresses from one client stops at its limit.
        var statuses: [Int] = []
        for index in 0..<6 {
            statuses.append(
                try daemon.curl("/access/resend", arguments: ["-d", "email=flood\(index)@example.com"]).status)
        }
        #expect(statuses.allSatisfy { $0 == 429 }, "\(statuses)")
        #expect(try daemon.curl("/access/resend", arguments: ["-d", "email=not-an-address"]).status == 400)
        try await Task.sleep(for: .seconds(2))
        #expect(try daemon.count("outbox") == 3)
    }

    @Test func rebuildsAreServedWithoutRestartOrGaps() async throws {
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_1", session: "cs_1", paymentIntent: "pi_1"))
        let link = try daemon.link(in: try #require(try await daemon.receivedMail(count: 1).first))
        let jar = daemon.site.root.appendingPathComponent("cookies.txt")
        _ = try daemon.curl(link, jar: jar)

        // Readers keep loading pages while the creator rebuilds five times.
        let port = daemon.port
        let jarPath = jar.path
        let reader = Task.detached { () -> [String] in
            var failures: [String] = []
            for round in 0..<150 {
                for path in ["/", "/courses/practical-sqlite/", "/learn/practical-sqlite/schema-design/"] {
                    let run = try runProgram(
                        "/usr/bin/curl",
                        [
                            "-s", "-o", "/dev/null", "-w", "%{http_code}", "-b", jarPath,
                            "http://127.0.0.1:\(port)\(path)",
                        ])
                    if run.stdout != "200" { failures.append("round \(round) \(path): \(run.stdout)") }
                }
            }
            return failures
        }
        for version in 1...5 {
            var text = try daemon.site.read("content/practical-sqlite/01-foundations/03-schema-design.md")
            text += "\n\nRevision marker \(version).\n"
            try daemon.site.write("content/practical-sqlite/01-foundations/03-schema-design.md", text)
            try daemon.site.build()
        }
        let failures = try await reader.value
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        // (The invisible mark sits in word gaps: compare the visible text.)
        let served = try daemon.curl("/learn/practical-sqlite/schema-design/", jar: jar).body
        #expect(
            InvisibleMarkCodec.removingMark(served).contains("Revision marker 5")
        )

        // A course added by a rebuild is on sale at once: its webhook is accepted, its pages served.
        try daemon.site.write("content/sql-basics/_index.md", courseIndex(title: "SQL Basics"))
        try daemon.site.write("content/sql-basics/01-select.md", lesson("Select", body: "Paid text about SELECT."))
        try daemon.site.build()
        #expect(try daemon.curl("/courses/sql-basics/").status == 200)
        let sale = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_2", session: "cs_2", paymentIntent: "pi_2", course: "sql-basics", amount: 1000))
        #expect(sale.json["result"] as? String == "granted")
    }

    /// Slow-loris clients are cut off at the configured deadlines; hundreds of simultaneous
    /// connections are all served.
    @Test func slowClientsAreCutOffAndManyConnectionsServed() async throws {
        let daemon = try await DaemonHarness(extraConfig: "header_timeout_seconds = 2\nbody_timeout_seconds = 3")
        defer { _ = daemon.stop() }
        let peer = repoRoot.appendingPathComponent("Tests/peers/slow_clients.py").path
        func run(_ arguments: [String]) throws -> String {
            try runProgram("/usr/bin/env", ["python3", peer, String(daemon.port)] + arguments).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        async let head = Task.detached { try run(["slowloris"]) }.value
        async let body = Task.detached { try run(["slowbody"]) }.value
        let (headResult, bodyResult) = try await (head, body)
        let headSeconds = Double(headResult.split(separator: " ").first ?? "") ?? 99
        let bodySeconds = Double(bodyResult.split(separator: " ").first ?? "") ?? 99
        #expect(headResult.hasSuffix("closed") && headSeconds >= 1.5 && headSeconds < 6, "slow head: \(headResult)")
        #expect(bodyResult.hasSuffix("closed") && bodySeconds >= 2.5 && bodySeconds < 7, "slow body: \(bodyResult)")
        // Nothing was recorded from the half-sent webhook.
        #expect(try daemon.count("webhook_events") == 0)
        #expect(try run(["many", "400"]) == "400 of 400")
    }
}
