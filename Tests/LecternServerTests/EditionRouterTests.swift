import Foundation
import Hummingbird
import HummingbirdTesting
import LecternCommerce
import LecternCore
import LecternStore
import LecternTestSupport
import Testing

@testable import LecternServer

/// A buyer's offline edition through the daemon's router: what the gate lets them download, what the file
/// holds, when it is made again and when it is refused. The EPUB's validity (epubcheck), its text as other
/// tools read it and the PDF are checked over loopback in `DaemonEditionTests`.
@Suite struct EditionRouterTests {
    typealias Site = DaemonRouterTests.Site

    /// Buys the example course and signs in with the e-mailed link: the cookies, as a Cookie header.
    static func buyAndSignIn(_ site: Site, _ client: some TestClientProtocol, id: String) async throws -> String {
        let purchase = DaemonRouterTests.stripePurchase(id: id)
        let headers: HTTPFields = [.init("Stripe-Signature")!: purchase.signature, .contentType: "application/json"]
        let bought = try await client.execute(
            uri: "/webhooks/stripe", method: .post, headers: headers, body: purchase.body)
        try #require(bought.status == .ok)
        let link = try #require(try await site.newLinks().last)
        let path = String(link.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        let signIn = try await client.execute(uri: path, method: .get)
        // Every cookie the sign-in set (the course's and the library's), as one Cookie header.
        let cookies = signIn.headers[values: .setCookie].compactMap { $0.split(separator: ";").first }
        try #require(!cookies.isEmpty)
        return cookies.joined(separator: "; ")
    }

    static let epub = SiteRoutes.edition("practical-sqlite", format: .epub)
    static let pdf = SiteRoutes.edition("practical-sqlite", format: .pdf)

    /// The EPUB's files by name, read with Info-ZIP's `unzip` (not our own code).
    static func entries(of bytes: [UInt8], in site: Site) throws -> [String: String] {
        let file = site.site.root.appendingPathComponent("book-\(UUID().uuidString).epub")
        try Data(bytes).write(to: file)
        let list = try runProgram("/usr/bin/unzip", ["-Z1", file.path])
        try #require(list.status == 0, "unzip could not list the EPUB: \(list.stderr)")
        var entries: [String: String] = [:]
        for name in list.stdout.split(separator: "\n").map(String.init) {
            entries[name] = try runProgram("/usr/bin/unzip", ["-p", file.path, name]).stdout
        }
        return entries
    }

    @Test func aBuyerDownloadsAnEPUBOfTheLessonsOpenToThemStampedAndMarked() async throws {
        // An image of a type e-readers need not show (AVIF) is linked on the site instead.
        let site = try Site { site in
            try site.write("content/practical-sqlite/images/photo.avif", "not really an image")
            let file = "content/practical-sqlite/01-foundations/03-schema-design.md"
            try site.write(file, try site.read(file) + "\n![A photo](../images/photo.avif)\n")
        }
        try await site.daemon.application.test(.router) { client in
            let cookie = try await Self.buyAndSignIn(site, client, id: "edition1")
            let reply = try await client.execute(uri: Self.epub, method: .get, headers: [.cookie: cookie])
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "application/epub+zip")
            #expect(reply.headers[.contentDisposition] == "attachment; filename=\"practical-sqlite.epub\"")
            #expect(reply.headers[.cacheControl] == "private, no-store")
            let bytes = Array(reply.body.readableBytesView)
            // OCF: the first entry is `mimetype`, stored, no extra field, so a reader recognises the file at
            // a fixed offset.
            #expect(Array(bytes[30..<38]) == Array("mimetype".utf8))
            #expect(Array(bytes[38..<58]) == Array("application/epub+zip".utf8))
            #expect(bytes[8] == 0 && bytes[28] == 0, "stored, no extra field")

            let entries = try Self.entries(of: bytes, in: site)
            let manifest = try BuildManifest.load(
                from: site.daemon.config.url(site.daemon.config.paidDir).appendingPathComponent(BuildManifest.fileName))
            let course = try #require(manifest.courses.first { $0.slug == "practical-sqlite" })
            let open = course.lessons.filter { $0.free || $0.availableAfterDays == nil }
            let locked = course.lessons.filter { !$0.free && $0.availableAfterDays != nil }
            #expect(!locked.isEmpty, "the example course drips lessons")
            let chapters = entries.keys.filter { $0.hasPrefix("OEBPS/c") && $0.hasSuffix(".xhtml") }.sorted()
            #expect(chapters.count == open.count)
            let navigation = try #require(entries["OEBPS/nav.xhtml"])
            for lesson in open { #expect(navigation.contains(MarkupEscaping.escape(lesson.title))) }
            for lesson in locked {
                #expect(!navigation.contains(lesson.title), "\(lesson.slug) is not open yet: left out")
            }
            let fingerprint = Fingerprint(
                secret: try KeyStore(directory: site.site.root.appendingPathComponent("keys")).watermarkSecret())
            let grant = try #require(try CreatorQueries(store: site.daemon.store).grantIDs().first)
            for name in chapters {
                let chapter = try #require(entries[name])
                #expect(chapter.contains("Licensed to ada@example.com"), "\(name) carries the stamp")
                let text = chapter.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
                guard case .traced(let named, _, _) = LeakTracer(fingerprint: fingerprint).trace(text) else {
                    Issue.record("\(name) does not trace")
                    continue
                }
                #expect(Int64(named) == grant)
            }
            #expect(entries.keys.contains("OEBPS/files/images/file-layout.svg"), "the image a lesson shows")
            #expect(!entries.keys.contains { $0.hasSuffix(".avif") })
            #expect(
                entries.values.contains {
                    $0.contains(
                        #"<a href="http://127.0.0.1:8080/learn/practical-sqlite/images/photo.avif">A photo</a>"#)
                })
            #expect(entries["OEBPS/content.opf"]?.contains("<dc:rights>Licensed to ada@example.com") == true)

            // The links: on every paid lesson, and in the library's data.
            let lesson = try await client.execute(
                uri: "/learn/practical-sqlite/schema-design/", method: .get, headers: [.cookie: cookie])
            let html = String(buffer: lesson.body)
            for format in EditionFormat.allCases {
                #expect(html.contains("href=\"\(SiteRoutes.edition("practical-sqlite", format: format))\""))
            }
            let library = try await client.execute(
                uri: SiteRoutes.libraryData, method: .get, headers: [.cookie: cookie])
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(library.body.readableBytesView)) as? [String: Any])
            let owned = try #require((json["courses"] as? [[String: Any]])?.first)
            #expect(owned["downloads"] as? [String: String] == ["epub": Self.epub, "pdf": Self.pdf])

            // Nothing else under the course is an edition.
            for path in ["download.epub/", "download.EPUB", "download.mobi", "download.epub%00", "x/download.epub"] {
                let reply = try await client.execute(
                    uri: "/learn/practical-sqlite/\(path)", method: .get, headers: [.cookie: cookie])
                #expect([400, 404].contains(reply.status.code), "\(path): \(reply.status)")
            }
        }
    }

    @Test func anEditionIsKeptRemadeWhenTheCourseChangesAndRefusedAfterARefund() async throws {
        let site = try Site()
        let folder = site.daemon.editionsFolder
        @Sendable func kept() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".epub") }
        }
        try await site.daemon.application.test(.router) { client in
            let cookie = try await Self.buyAndSignIn(site, client, id: "edition2")
            let first = try await client.execute(uri: Self.epub, method: .get, headers: [.cookie: cookie])
            let again = try await client.execute(uri: Self.epub, method: .get, headers: [.cookie: cookie])
            #expect(first.status == .ok && first.body == again.body)
            #expect(kept().count == 1)
            let mode =
                try FileManager.default.attributesOfItem(
                    atPath: folder.appendingPathComponent(kept()[0]).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "an edition names its buyer")

            // The creator changes a lesson and builds: the next download has the new text, and replaces the
            // kept file.
            let file = "content/practical-sqlite/01-foundations/03-schema-design.md"
            try site.site.write(file, try site.site.read(file) + "\nPostscriptum: written after the first download.\n")
            try site.site.build()
            let changed = try await client.execute(uri: Self.epub, method: .get, headers: [.cookie: cookie])
            #expect(changed.status == .ok && changed.body != first.body)
            let entries = try Self.entries(of: Array(changed.body.readableBytesView), in: site)
            #expect(entries.values.contains { $0.contains("Postscriptum") }, "words are split by the mark: one word")
            #expect(kept().count == 1)

            // Without access: the course's page sells it, and a JSON client gets 401.
            let stranger = try await client.execute(uri: Self.epub, method: .get)
            #expect(stranger.status == .seeOther && stranger.headers[.location] == "/courses/practical-sqlite/")
            let json = try await client.execute(uri: Self.epub, method: .get, headers: [.accept: "application/json"])
            #expect(json.status == .unauthorized && json.headers[.contentType] == "application/problem+json")

            // Refunded: the door shuts on the download as on the pages.
            let refund = DaemonRouterTests.signedStripe([
                "id": "evt_refund2", "object": "event", "type": "charge.refunded",
                "created": Int(Date().timeIntervalSince1970),
                "data": [
                    "object": [
                        "id": "ch_2", "object": "charge", "payment_intent": "pi_edition2", "amount": 4900,
                        "amount_refunded": 4900, "refunded": true,
                    ]
                ],
            ])
            let refunded = try await client.execute(
                uri: "/webhooks/stripe", method: .post,
                headers: [.init("Stripe-Signature")!: refund.signature, .contentType: "application/json"],
                body: refund.body)
            #expect(refunded.status == .ok)
            let refused = try await client.execute(
                uri: Self.epub, method: .get, headers: [.cookie: cookie, .accept: "application/json"])
            #expect(refused.status == .forbidden)
            #expect(String(buffer: refused.body).contains("access-withdrawn"))
        }
    }

    /// A Chinese slug is saved under its own name (RFC 6266 `filename*`), with a plain fallback.
    @Test func aChineseCourseIsSavedUnderItsName() throws {
        let course = BuildManifest.CourseEntry(
            slug: "写作课", title: "写作课", pricing: ProductPricing(price: Money(minorUnits: 100, currency: "CNY")),
            buyLink: "",
            products: [], lessons: [])
        let grant = GrantRecord(
            id: 1, buyerID: 1, product: "写作课", email: "a@example.com", order: "X", startsAt: Date())
        let request = EditionRequest(
            format: .epub, course: course, grant: grant, lessons: [], wording: .english, language: "zh-CN")
        #expect(
            request.contentDisposition
                == "attachment; filename=\"course.epub\"; filename*=UTF-8''%E5%86%99%E4%BD%9C%E8%AF%BE.epub")
    }

    /// No Chromium: the PDF is "not configured" and the EPUB still comes. A Chromium that fails: "try again in a
    /// minute", with Retry-After, and nothing kept.
    @Test func aServerThatCannotPrintStillGivesTheEPUBAndSaysWhenToRetry() async throws {
        for (chromium, kind) in [("/nonexistent/chromium", "not-configured"), ("/bin/false", "edition-failed")] {
            let site = try Site(environment: ["LECTERN_CHROMIUM": chromium])
            try await site.daemon.application.test(.router) { client in
                let cookie = try await Self.buyAndSignIn(site, client, id: "edition5")
                let pdf = try await client.execute(
                    uri: Self.pdf, method: .get, headers: [.cookie: cookie, .accept: "application/json"])
                #expect(pdf.status == .serviceUnavailable && String(buffer: pdf.body).contains(kind), "\(chromium)")
                #expect((kind == "edition-failed") == (pdf.headers[.retryAfter] == "60"))
                let kept =
                    (try? FileManager.default.contentsOfDirectory(
                        atPath: site.daemon.editionsFolder.path)) ?? []
                #expect(!kept.contains { $0.hasSuffix(".pdf") })
                let epub = try await client.execute(uri: Self.epub, method: .get, headers: [.cookie: cookie])
                #expect(epub.status == .ok)
            }
        }
    }

    @Test func downloadsPerHourAreCountedPerGrant() async throws {
        let site = try Site { site in
            try site.write("lectern.toml", try site.read("lectern.toml") + "\n[daemon]\ndownloads_per_hour = 2\n")
        }
        try await site.daemon.application.test(.router) { client in
            let cookie = try await Self.buyAndSignIn(site, client, id: "edition3")
            for _ in 0..<2 {
                #expect(
                    try await client.execute(uri: Self.epub, method: .get, headers: [.cookie: cookie]).status == .ok)
            }
            let limited = try await client.execute(
                uri: Self.epub, method: .get, headers: [.cookie: cookie, .accept: "application/json"])
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
            #expect(limited.headers[.contentType] == "application/problem+json")
            // Reading goes on: the limit is on downloads only.
            let page = try await client.execute(
                uri: "/learn/practical-sqlite/schema-design/", method: .get, headers: [.cookie: cookie])
            #expect(page.status == .ok)
        }
    }

    @Test func aLessonJoinsTheEditionOnItsDripDay() async throws {
        let site = try Site()
        try await site.daemon.application.test(.router) { client in
            let ada = try await Self.buyAndSignIn(site, client, id: "edition4")
            let adaLinks = site.mailedLinks()
            // Bo's access began eight days ago: the lesson that opens on day 7 is in his edition, the one that opens
            // on day 14 in nobody's yet.
            try CreatorQueries(store: site.daemon.store).compGrant(
                email: try #require(EmailAddress("bo@example.com")), product: "practical-sqlite",
                now: Date().addingTimeInterval(-8 * 86_400))
            let link = try #require(try await site.newLinks(since: adaLinks).first)
            let path = String(link.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
            let signIn = try await client.execute(uri: path, method: .get)
            let bo = try #require(signIn.headers[.setCookie]?.split(separator: ";").first.map(String.init))

            let manifest = try BuildManifest.load(
                from: site.daemon.config.url(site.daemon.config.paidDir).appendingPathComponent(BuildManifest.fileName))
            let lessons = try #require(manifest.courses.first { $0.slug == "practical-sqlite" }).lessons
            let day7 = try #require(lessons.first { $0.availableAfterDays == 7 })
            let day14 = try #require(lessons.first { $0.availableAfterDays == 14 })
            func contents(_ cookie: String) async throws -> String {
                let reply = try await client.execute(uri: Self.epub, method: .get, headers: [.cookie: cookie])
                try #require(reply.status == .ok)
                let entries = try Self.entries(of: Array(reply.body.readableBytesView), in: site)
                return try #require(entries["OEBPS/nav.xhtml"])
            }
            let adaContents = try await contents(ada)
            let boContents = try await contents(bo)
            #expect(!adaContents.contains(day7.title) && !adaContents.contains(day14.title))
            #expect(boContents.contains(day7.title) && !boContents.contains(day14.title))
        }
    }

    /// Every lesson still closed by its drip delay: the download says when the first one opens, as its page would,
    /// instead of an empty book.
    @Test func anEditionWithNothingOpenYetSaysWhenTheFirstLessonOpens() async throws {
        let site = try Site { site in
            for folder in ["01-foundations", "02-in-production"] {
                let dir = "content/practical-sqlite/\(folder)"
                let names = try FileManager.default.contentsOfDirectory(
                    atPath: site.root.appendingPathComponent(dir).path)
                for name in names where name.hasSuffix(".md") && name != "_index.md" {
                    var text = try site.read("\(dir)/\(name)").replacingOccurrences(of: "free: true\n", with: "")
                    if !text.contains("available_after_days") {
                        text = text.replacingOccurrences(
                            of: "---\ntitle:", with: "---\navailable_after_days: 30\ntitle:")
                    }
                    try site.write("\(dir)/\(name)", text)
                }
            }
        }
        try await site.daemon.application.test(.router) { client in
            let cookie = try await Self.buyAndSignIn(site, client, id: "edition6")
            let reply = try await client.execute(
                uri: Self.epub, method: .get, headers: [.cookie: cookie, .accept: "application/json"])
            #expect(
                reply.status.code == 403 && String(buffer: reply.body).contains("not-yet-available"), "\(reply.status)")
        }
    }
}
