import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import LecternCommerce
import LecternConfig
import LecternCore
import LecternStore
import LecternTestSupport
import Testing

@testable import LecternServer

/// The daemon's whole router — the same `Daemon` lecternd runs, with its middleware and services — driven
/// in-process by HummingbirdTesting: no socket, no child process, so these run in a second. Purchases,
/// e-mail (the file transport) and the gate are real; the live tests cover the same paths over loopback.
@Suite struct DaemonRouterTests {
    static let stripeSecret = "whsec_router_test"
    static let metricsToken = String(repeating: "m", count: 32)

    /// A built example site with keys, and a daemon over it (not listening). Never mutated after `init`
    /// (the temporary folder goes with it), so sharing it with the test client's closures is safe.
    struct Site: @unchecked Sendable {
        let site: TempSite
        let daemon: Daemon

        init(environment extra: [String: String] = [:], prepare: (TempSite) throws -> Void = { _ in }) throws {
            site = try TempSite(withExampleContent: true)
            try prepare(site)
            try KeyStore(directory: site.root.appendingPathComponent("keys")).generate()
            try site.build()
            // Under LECTERN_TEST_ENGINE=postgres, a database of its own on the throwaway server.
            let database = PostgresCluster.selected ? ["LECTERN_DATABASE_URL": try PostgresCluster.newDatabase()] : [:]
            daemon = try Daemon(
                options: .init(root: site.root),
                environment: [
                    "LECTERN_STRIPE_WEBHOOK_SECRET": DaemonRouterTests.stripeSecret,
                    "LECTERN_METRICS_TOKEN": DaemonRouterTests.metricsToken,
                ].merging(database) { $1 }.merging(extra) { $1 })
        }

        /// The signed links e-mailed since `known`, waiting up to 10 s for the first (the outbox sends every second).
        func newLinks(since known: [String] = []) async throws -> [String] {
            for _ in 0..<200 {
                let fresh = mailedLinks().filter { !known.contains($0) }
                if !fresh.isEmpty { return fresh }
                try await Task.sleep(for: .milliseconds(50))
            }
            return []
        }

        /// The signed links the daemon e-mailed so far (file transport: one .eml per message).
        func mailedLinks() -> [String] {
            let folder = site.root.appendingPathComponent("mail")
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            return names.compactMap { name in
                guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8),
                    let start = text.range(of: "http")
                else { return nil }
                return String(text[start.lowerBound...].prefix { !$0.isWhitespace })
            }
        }
    }

    /// A Stripe `checkout.session.completed` event and its `Stripe-Signature` (HMAC-SHA256 of "t.body").
    static func stripePurchase(id: String, email: String = "ada@example.com") -> (body: ByteBuffer, signature: String) {
        signedStripe([
            "id": "evt_\(id)", "object": "event", "type": "checkout.session.completed",
            "created": Int(Date().timeIntervalSince1970),
            "data": [
                "object": [
                    "id": "cs_\(id)", "object": "checkout.session", "payment_status": "paid", "amount_total": 4900,
                    "currency": "usd", "payment_intent": "pi_\(id)", "metadata": ["course": "practical-sqlite"],
                    "customer_details": ["email": email],
                ]
            ],
        ])
    }

    /// `event` as Stripe sends it: the JSON body and its `Stripe-Signature`.
    static func signedStripe(_ event: [String: Any]) -> (body: ByteBuffer, signature: String) {
        let body = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data()
        let timestamp = Int(Date().timeIntervalSince1970)
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(timestamp).".utf8) + body, using: SymmetricKey(data: Data(stripeSecret.utf8)))
        let hex = mac.map { String(format: "%02x", $0) }.joined()
        return (ByteBuffer(bytes: body), "t=\(timestamp),v1=\(hex)")
    }

    @Test func publicPagesAreServedWithValidatorsAndMissingOnesGetTheSite404() async throws {
        let site = try Site()
        try await site.daemon.application.test(.router) { client in
            let home = try await client.execute(uri: "/", method: .get)
            #expect(home.status == .ok)
            #expect(home.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: home.body).contains("/courses/practical-sqlite/"))
            let etag = try #require(home.headers[.eTag])

            let again = try await client.execute(uri: "/", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified && again.body.readableBytes == 0)

            let head = try await client.execute(uri: "/courses/practical-sqlite/", method: .head)
            #expect(head.status == .ok && head.body.readableBytes == 0)

            let missing = try await client.execute(uri: "/no-such-page/", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType]?.hasPrefix("text/html") == true)
        }
    }

    @Test func aPathThatLeavesTheSiteIsAProblem() async throws {
        let site = try Site()
        try await site.daemon.application.test(.router) { client in
            let response = try await client.execute(
                uri: "/learn/%2e%2e/%2e%2e/lectern.toml", method: .get, headers: [.accept: "application/json"])
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(!String(buffer: response.body).contains("base_url"))
        }
    }

    @Test func aSignedPurchaseIsRecordedOnceMailedAndOpensTheWatermarkedLesson() async throws {
        let site = try Site()
        try await site.daemon.application.test(.router) { client in
            let purchase = Self.stripePurchase(id: "router1")
            let headers: HTTPFields = [
                .init("Stripe-Signature")!: purchase.signature, .contentType: "application/json",
            ]
            let first = try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: headers, body: purchase.body)
            #expect(first.status == .ok)
            #expect(String(buffer: first.body).contains("granted"))
            // The provider's retry: acknowledged, nothing recorded twice.
            let retry = try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: headers, body: purchase.body)
            #expect(retry.status == .ok && String(buffer: retry.body).contains("duplicate"))
            #expect(try CreatorQueries(store: site.daemon.store).orders().count == 1)

            // A forged signature changes nothing.
            var forged = headers
            forged[.init("Stripe-Signature")!] =
                "t=\(Int(Date().timeIntervalSince1970)),v1=\(String(repeating: "0", count: 64))"
            let bad = try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: forged,
                body: Self.stripePurchase(id: "router2").body)
            #expect(bad.status.code >= 400 && bad.status.code < 500)
            #expect(bad.headers[.contentType] == "application/problem+json")
            #expect(try CreatorQueries(store: site.daemon.store).orders().count == 1)

            // The e-mail is sent by the outbox service running beside the router.
            let link = try #require(try await site.newLinks().first)
            let path = String(link.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
            #expect(path.hasPrefix("/learn/practical-sqlite/?token="))

            let signIn = try await client.execute(uri: path, method: .get)
            #expect(signIn.status == .seeOther)
            #expect(signIn.headers[.location] == "/learn/practical-sqlite/")
            #expect(signIn.headers[.referrerPolicy] == "no-referrer")
            let cookie = try #require(signIn.headers[.setCookie]?.split(separator: ";").first.map(String.init))

            let lesson = try await client.execute(
                uri: "/learn/practical-sqlite/schema-design/", method: .get, headers: [.cookie: cookie])
            #expect(lesson.status == .ok)
            let html = String(buffer: lesson.body)
            #expect(html.contains("ada@example.com"), "the visible stamp names the buyer")
            #expect(html.unicodeScalars.contains { $0.properties.generalCategory == .format }, "invisible mark")

            let stranger = try await client.execute(uri: "/learn/practical-sqlite/schema-design/", method: .get)
            #expect(stranger.status == .seeOther)
            #expect(stranger.headers[.location] == "/courses/practical-sqlite/")
        }
    }

    @Test func metricsNeedTheBearerToken() async throws {
        let site = try Site()
        try await site.daemon.application.test(.router) { client in
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .unauthorized)
            let metrics = try await client.execute(
                uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.metricsToken)"])
            #expect(metrics.status == .ok)
            #expect(String(buffer: metrics.body).contains("lectern_"))
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func gatePagesComeFromTheSiteTemplateWithRequestValuesEscaped() async throws {
        // The creator rewords the notices in site-template/ like any page; course titles are theirs too.
        let site = try Site { site in
            try site.write(
                "site-template/layouts/gate.mustache",
                "{{> head}}<body><main class=\"my-notice\"><h1>{{page.title}}</h1>"
                    + "{{#notice.link_expired}}<p>Ce lien vers {{course.title}} a expiré.</p>{{/notice.link_expired}}"
                    + "{{#notice.not_found}}<p>Rien à {{path}}.</p>{{/notice.not_found}}</main>{{> footer}}\n")
            let file = "content/practical-sqlite/_index.md"
            try site.write(
                file, try site.read(file).replacingOccurrences(of: "title: ", with: "title: <b>\"Fast\"</b> "))
        }
        let expired = try TokenSigner(keys: KeyStore(directory: site.site.root.appendingPathComponent("keys"))).sign(
            AccessClaims(
                subject: "g_1", audience: "practical-sqlite", issuedAt: Date().addingTimeInterval(-400 * 86_400),
                lifetime: 86_400))
        try await site.daemon.application.test(.router) { client in
            let page = try await client.execute(uri: "/learn/practical-sqlite/?token=\(expired)", method: .get)
            #expect(page.status == .unauthorized)
            let html = String(buffer: page.body)
            #expect(html.contains("<main class=\"my-notice\"><h1>Your link has expired</h1>"))
            #expect(html.contains("Ce lien vers &lt;b&gt;&quot;Fast&quot;&lt;/b&gt;"), "\(html)")
            #expect(!html.contains("<b>\"Fast"))
            #expect(html.contains("<meta name=\"robots\" content=\"noindex\">"), "gate pages are not indexed")

            let missing = try await client.execute(uri: "/learn/no-such-course/x/<q>", method: .get)
            #expect(missing.status == .notFound)
        }
    }

    @Test func aLinkSignedByAClockRunningAheadIsNotYetValidNotDamaged() async throws {
        let site = try Site()
        let ahead = try TokenSigner(keys: KeyStore(directory: site.site.root.appendingPathComponent("keys"))).sign(
            AccessClaims(
                subject: "g_1", audience: "practical-sqlite", issuedAt: Date().addingTimeInterval(3_600),
                lifetime: 86_400))
        try await site.daemon.application.test(.router) { client in
            let page = try await client.execute(uri: "/learn/practical-sqlite/?token=\(ahead)", method: .get)
            #expect(page.status == .unauthorized)
            let html = String(buffer: page.body)
            #expect(html.contains("This link is not valid yet") && html.contains("name=\"email\""))
            #expect(!html.contains("does not work"))
            let json = try await client.execute(
                uri: "/learn/practical-sqlite/?token=\(ahead)", method: .get, headers: [.accept: "application/json"])
            #expect(String(buffer: json.body).contains("/problems/link-not-yet-valid"))
        }
    }
}
