import Crypto
import Foundation
import GRDB
import LecternPostgres
import LecternTestSupport
import Testing

@testable import LecternCommerce
@testable import LecternCore
@testable import LecternHTTP
@testable import LecternServer
@testable import LecternStore

/// The gate's pieces on their own: path rules, cookies, rate limits, HTTP dates, gzip, the grant cache.
struct GatePartsTests {
    @Test func requestPathRefusesEveryWayOut() {
        #expect(
            RequestPath("/courses/sql/")?.segments == ["courses", "sql"]
                && RequestPath("/courses/sql/")?.isFolder == true)
        #expect(RequestPath("/a%20b.png")?.segments == ["a b.png"])
        for hostile in [
            "/../x", "/%2e%2e/x", "/%2E%2e/x", "/a/..", "/a/.", "/.git/config", "/a%2fb", "/a\\b", "/a%5cb", "/a%00b",
            "/a%zzb", "//x", "relative", "/" + String(repeating: "a", count: 3_000),
        ] {
            #expect(RequestPath(hostile) == nil, "\(hostile) was accepted")
        }
        // Decoded once: a double-encoded dot-dot stays a literal name, not a way up.
        #expect(RequestPath("/%252e%252e/x")?.segments == ["%2e%2e", "x"])
    }

    @Test func cookiesAreBoundToCourseGrantAndExpiry() {
        let cookies = AccessCookie(secret: SymmetricKey(size: .bits256))
        let now = Date()
        let value = AccessCookie.Value(grant: 42, expiresAt: Int(now.timeIntervalSince1970) + 60)
        let text = cookies.encode(value, course: "sql")
        #expect(cookies.check(text, course: "sql", now: now) == .valid(value))
        #expect(cookies.check(text, course: "sql", now: now.addingTimeInterval(120)) == .expired(value))
        #expect(cookies.check(text, course: "go", now: now) == .invalid)
        #expect(
            cookies.check(text.replacingOccurrences(of: "v1.42.", with: "v1.43."), course: "sql", now: now) == .invalid)
        #expect(AccessCookie(secret: SymmetricKey(size: .bits256)).check(text, course: "sql", now: now) == .invalid)
        #expect(AccessCookie.find(in: "a=1; lectern_access=v1.2.3.x;b=2") == "v1.2.3.x")
        #expect(AccessCookie.find(in: "xlectern_access=no") == nil)
    }

    @Test func rateLimiterRefillsOverTime() {
        let limiter = RateLimiter(limit: 2, per: 3_600)
        let start = Date()
        #expect(limiter.take("a", now: start) == .allowed && limiter.take("a", now: start) == .allowed)
        #expect(limiter.take("a", now: start) == .limited(retryAfter: 1_800))
        #expect(limiter.take("b", now: start) == .allowed)
        #expect(limiter.take("a", now: start.addingTimeInterval(1_800)) == .allowed)
    }

    @Test func httpDatesAndGzipRoundTrip() throws {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == date && HTTPDate.parse("yesterday") == nil)
        #expect(
            Gzip.accepted(by: "gzip, deflate, br") && Gzip.accepted(by: "*") && !Gzip.accepted(by: "gzip;q=0")
                && !Gzip.accepted(by: nil))

        let text = Array(String(repeating: "Lectern serves courses. ", count: 200).utf8)
        let compressed = try #require(Gzip.compress(text))
        #expect(compressed.count < text.count / 10 && compressed.prefix(2) == [0x1f, 0x8b])
        // Decompressed by Debian's gzip, the bytes come back exactly.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString).gz")
        try Data(compressed).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try runProgram("/bin/gzip", ["-dc", file.path])
        #expect(run.status == 0 && run.stdout == String(decoding: text, as: UTF8.self))
    }

    @Test func grantCacheSeesWritesFromAnotherConnection() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grant-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let location =
            PostgresCluster.selected
            ? try PostgresCluster.newDatabase() : folder.appendingPathComponent("lectern.sqlite").path
        let store = try Store.open(location)
        let grant = try store.write { db in
            try Ledger(db).grant(
                buyer: try Ledger(db).buyer(email: "ada@example.com", now: Date()), order: nil,
                product: "sql", subscription: nil, now: Date())
        }
        let cache = GrantCache(store: store)
        try await Task.sleep(for: .milliseconds(120))  // past the settle time, so the next read is cached
        #expect(try cache.record(id: grant)?.state(at: Date()) == .live)
        #expect(try cache.record(id: grant)?.state(at: Date()) == .live)
        // Another process (here: another Store on the same database, like `lectern revoke`, or another node)
        // revokes it.
        _ = try CreatorQueries(store: try Store.open(location)).revoke(
            email: "ada@example.com", product: "sql", reason: "chargeback")
        if store.path != nil {  // SQLite: the files changed before `revoke` returned
            #expect(try cache.record(id: grant)?.state(at: Date()) == .revoked(reason: "chargeback"))
        } else {  // PostgreSQL: once the NOTIFY sent at COMMIT arrives (the next request after it)
            var waited = 0
            while try cache.record(id: grant)?.state(at: Date()) == .live, waited < 2_000 {
                try await Task.sleep(for: .milliseconds(1))
                waited += 1
            }
            #expect(try cache.record(id: grant)?.state(at: Date()) == .revoked(reason: "chargeback"))
        }
    }

    @Test func theLibraryCookieNamesItsBuyerUntilItExpiresAndNothingElse() {
        let secret = SymmetricKey(size: .bits256)
        let cookie = LibraryCookie(secret: secret)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let session = DeviceSessions.newID()
        let value = cookie.encode(.init(buyer: 42, expiresAt: 1_800_000_100, session: session))
        #expect(value.hasPrefix("v2.42.1800000100.\(session)."))
        #expect(cookie.value(value, now: now) == .init(buyer: 42, expiresAt: 1_800_000_100, session: session))
        #expect(cookie.buyer(value, now: now.addingTimeInterval(100)) == nil)
        // Another site's secret, another buyer, expiry or session under the same tag, a course cookie, junk.
        #expect(LibraryCookie(secret: SymmetricKey(size: .bits256)).buyer(value, now: now) == nil)
        let parts = value.split(separator: ".")
        #expect(cookie.buyer("v2.43.\(parts[2]).\(parts[3]).\(parts[4])", now: now) == nil)
        #expect(cookie.buyer("v2.42.1800009999.\(parts[3]).\(parts[4])", now: now) == nil)
        #expect(cookie.buyer("v2.42.\(parts[2]).\(DeviceSessions.newID()).\(parts[4])", now: now) == nil)
        #expect(cookie.buyer("v1.42.\(parts[2]).\(parts[4])", now: now) == nil, "the session cannot be dropped")
        let course = AccessCookie(secret: secret).encode(
            .init(grant: 42, expiresAt: 1_800_000_100, session: session), course: "c")
        #expect(cookie.buyer(course, now: now) == nil)
        for junk in [
            "", "v1", "v1.0.1.AA", "v1.-1.1800000100.AA", "v1.42.9999999999999999999.AA", "v2.42.1800000100.x.AA",
            "v2.42.1800000100..AA", String(repeating: "v", count: 300),
        ] {
            #expect(cookie.buyer(junk, now: now) == nil, "\(junk)")
        }
        // A cookie from before sessions still names its buyer, with no session.
        let legacy = cookie.encode(.init(buyer: 42, expiresAt: 1_800_000_100, session: ""))
        #expect(legacy.hasPrefix("v1.42.") && cookie.value(legacy, now: now)?.session == "")
        #expect(LibraryCookie.find("lectern_library", in: "a=1; lectern_library=v1.x; lectern_access=y") == "v1.x")
        #expect(LibraryCookie.find("lectern_library", in: "lectern_library_old=1") == nil)
    }

    @Test func aCourseCookieCarriesItsSessionWhichCannotBeSwapped() {
        let secret = SymmetricKey(size: .bits256)
        let cookies = AccessCookie(secret: secret)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let session = DeviceSessions.newID()
        let value = AccessCookie.Value(grant: 7, expiresAt: 1_800_000_100, session: session)
        let text = cookies.encode(value, course: "sql")
        #expect(cookies.check(text, course: "sql", now: now) == .valid(value))
        let parts = text.split(separator: ".")
        #expect(
            cookies.check("v2.7.\(parts[2]).\(DeviceSessions.newID()).\(parts[4])", course: "sql", now: now) == .invalid
        )
        #expect(cookies.check("v1.7.\(parts[2]).\(parts[4])", course: "sql", now: now) == .invalid)
        let legacy = AccessCookie.Value(grant: 7, expiresAt: 1_800_000_100)
        #expect(cookies.check(cookies.encode(legacy, course: "sql"), course: "sql", now: now) == .valid(legacy))
    }

    @Test func networksAndBrowserFamiliesKeepNoWholeAddressAndNameWeChat() {
        #expect(ClientAddress.network(ofKey: "203.0.113.9") == "203.0.113.0/24")
        #expect(ClientAddress.network(ofKey: ClientAddress.key(ip: "2001:db8:1:2:3:4:5:6")!) == "2001:db8:1::/48")
        #expect(ClientAddress.network(ofKey: "unknown") == "unknown")
        #expect(ClientAddress.network(ofKey: "1.2.3.400") == "unknown")
        let wechat =
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            + "Mobile/15E148 MicroMessenger/8.0.42(0x18002a2f) NetType/WIFI Language/zh_CN"
        #expect(UserAgent.family(wechat) == "WeChat/iOS")
        let chrome =
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile "
            + "Safari/537.36"
        #expect(UserAgent.family(chrome) == "Chrome/Android")
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0"
        #expect(UserAgent.family(edge) == "Edge/Windows")
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15"
        #expect(UserAgent.family(safari) == "Safari/macOS")
        #expect(UserAgent.family(nil) == "other/other" && UserAgent.family("curl/7.88.1") == "curl/other")
        #expect(UserAgent.family(String(repeating: "x", count: 100_000) + "Firefox/1") == "other/other")
    }

    @Test func slotsAreFilledInOnePassEscapedAndNothingElseChanges() {
        let title = GateShell.Slot.courseTitle.mark
        let text = "<h1>\(title)</h1> 写作 \(GateShell.Slot.price.mark)·\(title) \u{E000}nope\u{E001} \u{E000}"
        let filled = GateShell.substitute(
            text, [.courseTitle: "A & <B>", .price: "¥99.00"], escape: MarkupEscaping.escape)
        #expect(filled == "<h1>A &amp; &lt;B&gt;</h1> 写作 ¥99.00·A &amp; &lt;B&gt; \u{E000}nope\u{E001} \u{E000}")
        // A value that holds a mark is inserted as it is, never filled in again; a slot without a value is empty.
        #expect(
            GateShell.substitute("[\(title)]", [.courseTitle: GateShell.Slot.email.mark, .email: "x"])
                == "[\(GateShell.Slot.email.mark)]")
        #expect(GateShell.substitute("[\(title)]", [:]) == "[]")
        #expect(GateShell.substitute("no marks 中文", [.courseTitle: "x"]) == "no marks 中文")
    }
}
