import Crypto
import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild
@testable import LecternCommerce
@testable import LecternCore
@testable import LecternHTTP
@testable import LecternServer

/// The parts behind the security fixes, one by one, with the inputs that broke them.
struct SecurityPartsTests {
    @Test func emailAddressesAcceptRealOnesAndNothingThatCanInject() {
        for good in [
            "ada@example.com", " Ada@Example.COM ", "first.last+tag@sub.example.co.uk", "zhang@例子.中国", "张伟@例子.中国",
            "o'brien@example.ie", "x_y-z@a-b.example", "taro..yamada.@docomo.ne.jp", ".a@example.com",
            "\u{645}\u{647}\u{62F}\u{6CC}\u{200C}\u{632}\u{627}\u{62F}\u{647}@example.ir",
        ] {
            #expect(EmailAddress(good) != nil, "\(good)")
        }
        #expect(EmailAddress(" Ada@Example.COM ")?.value == "ada@example.com")
        for bad in [
            "", "a", "a@b", "@example.com", "a@", "a@@example.com", "a@example..com", "...@example.com",
            "a\u{202E}b@example.com", "a\u{2028}b@example.com",
            "\"a\"@example.com", "a b@example.com", "a@example.com\r\nBcc: x@example.com", "a@example.com\"\nurl = \"x",
            "a\\b@example.com", "<a@example.com>", "a@example.com,b@example.com", "a@[127.0.0.1]", "a@-example.com",
            "a\u{200B}@example.com", "a@example.com\u{0}", String(repeating: "a", count: 65) + "@example.com",
            "a@" + String(repeating: "b", count: 250) + ".com",
        ] {
            #expect(EmailAddress(bad) == nil, "\(bad.debugDescription)")
        }
    }

    @Test func curlConfigValuesCannotStartAnotherOption() throws {
        #expect(try CurlConfig.quoted(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(throws: LecternError.self) { try CurlConfig.quoted("a\nupload-file = \"/etc/passwd\"") }
        #expect(throws: LecternError.self) { try CurlConfig.quoted("a\rb") }
        let to = try #require(EmailAddress("ada@example.com"))
        #expect(throws: LecternError.self) {
            try MailMessage.render(
                from: "School <s@example.com>\r\nBcc: x@example.com", to: to, subject: "s", body: "b",
                messageID: "m@example.com")
        }
        let message = try MailMessage.render(
            from: "School <s@example.com>", to: to, subject: "Hi\r\nBcc: x@example.com", body: "b",
            messageID: MailMessage.id(
                outbox: 7, created: "2026-11-22T07:00:00.000Z", from: "School <s@example.com>\r\n"))
        #expect(!message.contains("\r\nBcc:"))
        // Stable per message (id and queue time), from the sender's domain, never a line break.
        #expect(message.contains("\r\nMessage-ID: <lectern.7.20261122070000000@example.com>\r\n"))
    }

    @Test func jsonNumbersAreExact() throws {
        let object = try JSONObject(
            data: Data(
                #"{"zero":0,"one":1,"yes":true,"big":18446744073709556516,"float":4900.0,"frac":49.5,"text":"4900","neg":"-1"}"#
                    .utf8))
        #expect(object.integer("zero") == 0 && object.integer("one") == 1)
        #expect(object.integer("yes") == nil && object.integer("big") == nil && object.integer("frac") == nil)
        // Beyond a double's range the document is refused whole (400), never rounded to infinity.
        #expect(throws: HTTPProblem.self) { try JSONObject(data: Data(#"{"amount":1e400}"#.utf8)) }
        #expect(object.integer("float") == 4900 && object.integer("text") == 4900 && object.integer("neg") == nil)
        #expect(object.string("one") == "1" && object.string("yes") == nil)
        let deep = Data((String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).utf8)
        #expect(throws: HTTPProblem.self) { try JSONObject(data: deep) }
        #expect(JSONValue.nestingDepth(of: Data(#"{"a":"[[[[{{{{","b":[[1]]}"#.utf8)) == 3)
    }

    @Test func httpDatesAreRangeChecked() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        for bad in [
            "Sun, 01 Jan -2147483648 00:00:00 GMT", "Sun, 01 Jan 2147483647 00:00:00 GMT",
            "Sun, 32 Jan 2026 00:00:00 GMT",
            "Sun, 01 Jan 2026 24:00:00 GMT", "Sun, 01 Jan 2026 00:60:00 GMT", "Sun, 01 Jan 2026 -1:00:00 GMT",
            "Sun, 1 Jan 2026 0:0:0 GMT",
        ] {
            #expect(HTTPDate.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func tokenTimesOutsideTheCalendarAreMalformedNotATrap() throws {
        let key = Curve25519.Signing.PrivateKey()
        let signer = TokenSigner(kid: "k", key: key)
        let verifier = TokenVerifier(keys: ["k": key.publicKey])
        for (iat, exp) in [
            (1_800_000_000, Int.max), (Int.min, 1_800_000_000), (-1, 1_800_000_000), (1_800_000_000, 253_402_300_800),
        ] {
            var claims = AccessClaims(subject: "g_1", audience: "c", issuedAt: Date(), lifetime: 60)
            (claims.iat, claims.exp) = (iat, exp)
            #expect(throws: TokenError.self) { try verifier.verify(try signer.sign(claims)) }
        }
        // A cookie with a correct MAC but an expiry past year 9999 (or a grant id below 1) is refused
        // by the range check itself, not by the MAC.
        let cookies = AccessCookie(secret: SymmetricKey(size: .bits256))
        #expect(
            cookies.check(cookies.encode(.init(grant: 1, expiresAt: 1_900_000_000), course: "c"), course: "c").isValid)
        for value in [
            AccessCookie.Value(grant: 1, expiresAt: Int.max), .init(grant: 1, expiresAt: -1),
            .init(grant: 0, expiresAt: 1_900_000_000),
        ] {
            #expect(!cookies.check(cookies.encode(value, course: "c"), course: "c").isValid, "\(value)")
        }
    }

    @Test func webhookTimestampsAtTheEndsOfInt64AreRefusedNotATrap() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try WebhookSignatures.checkTimestamp("1800000299", now: now)
        for t in [
            "-9223372036854775808", "9223372036854775807", "99999999999999999999", "1e9", "", "+1800000000",
            "1800000301",
        ] {
            #expect(throws: HTTPProblem.self, "\(t)") { try WebhookSignatures.checkTimestamp(Substring(t), now: now) }
        }
    }

    @Test func durationsAndYAMLIntegersCannotOverflow() throws {
        #expect(Duration.parseSeconds("30d") == 2_592_000 && Duration.parseSeconds("45") == 45)
        for bad in ["999999999999999999d", "9223372036854775807", "101y", "0d", "-5m", "1000000000000w"] {
            #expect(Duration.parseSeconds(bad) == nil, "\(bad)")
        }
        // YAML 1.1 base-60 (`1:30`) is text: Yams's own reading of it overflowed and ended the build.
        let page = try FrontMatter.parse("---\ntitle: 1:2:3:4:5:6:7:8:9:10:11:12\nweight: 42\n---\nbody", file: "x.md")
        #expect(try page.settings.string("title") == "1:2:3:4:5:6:7:8:9:10:11:12")
        #expect(try page.settings.integer("weight") == 42)
        let yams = try FrontMatter.parse(
            "---\ntitle: 'x'\nweight: 999999999999999999:0\ntags: [a, b]\n---\nbody", file: "x.md")
        #expect(try yams.settings.string("weight") == "999999999999999999:0")
    }

    @Test func rateLimiterTableIsBoundedAndRefusesNewKeysWhenFull() {
        let limiter = RateLimiter(limit: 3, per: 3_600, capacity: 100)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<1_000 { _ = limiter.take("flood-\(index)", now: start) }
        #expect(limiter.count <= 100)
        #expect(limiter.take("newcomer", now: start) != .allowed)
        // Once the flood's buckets have refilled they are idle and make room.
        #expect(limiter.take("newcomer", now: start.addingTimeInterval(3_601)) == .allowed)
    }

    @Test func clientKeysAreAddressesAndIPv6IsKeyedByItsSlash64() {
        #expect(
            ClientAddress.key(forwardedFor: "1.2.3.4, 203.0.113.9", peer: "127.0.0.1", trustProxy: true)
                == "203.0.113.9")
        #expect(ClientAddress.key(forwardedFor: "203.0.113.9", peer: "127.0.0.1", trustProxy: false) == "127.0.0.1")
        #expect(ClientAddress.key(forwardedFor: "not-an-ip", peer: "127.0.0.1", trustProxy: true) == "127.0.0.1")
        #expect(ClientAddress.key(ip: "2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64")
        #expect(ClientAddress.key(ip: "::ffff:203.0.113.9") == "203.0.113.9")
        // The whole address, for a provider that asks for it (WeChat Pay's payer_client_ip), chosen the same way.
        #expect(
            ClientAddress.ip(forwardedFor: nil, peer: "2001:db8:1:2:3:4:5:6", trustProxy: false)
                == "2001:db8:1:2:3:4:5:6")
        #expect(ClientAddress.ip(forwardedFor: "2001:db8::9", peer: "127.0.0.1", trustProxy: true) == "2001:db8::9")
        #expect(ClientAddress.ip(forwardedFor: "2001:db8::9", peer: "::ffff:10.0.0.1", trustProxy: false) == "10.0.0.1")
        #expect(ClientAddress.ip(forwardedFor: "x", peer: "not-an-ip", trustProxy: true) == nil)
    }

    @Test func metricsTokenIsOptInLongAndCompared() throws {
        #expect(try !MetricsAccess(environment: [:]).isEnabled)
        #expect(throws: LecternError.self) {
            try MetricsAccess(environment: [MetricsAccess.environmentVariable: "short"])
        }
        let token = String(repeating: "k", count: 40)
        let access = try MetricsAccess(environment: [MetricsAccess.environmentVariable: token])
        #expect(access.allows(authorization: "Bearer \(token)"))
        #expect(
            !access.allows(authorization: "Bearer \(token)x") && !access.allows(authorization: token)
                && !access.allows(authorization: nil))
    }
}

extension AccessCookie.Check {
    var isValid: Bool { if case .valid = self { true } else { false } }
}
