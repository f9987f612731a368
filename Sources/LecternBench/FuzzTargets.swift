import Crypto
import Foundation
import LecternBuild
import LecternCommerce
import LecternConfig
import LecternCore
import LecternHTTP

/// The parsers that take hostile input, as fuzzing entry points: each gets arbitrary bytes and must
/// return or throw its own error, never crash, hang or run out of memory. Where a parser has an
/// invariant (a date that formats back to itself, an accepted e-mail address that holds nothing a
/// header or a config file could misread), the target checks it and crashes when it breaks, so the
/// fuzzer reports it like any crash. Used by the libFuzzer harness (`Sources/LecternFuzz`, built by
/// `scripts/fuzz`) and by `FuzzRegressionTests`, which replays the saved inputs in
/// `Tests/Fixtures/fuzz/<target>/`.
public enum FuzzTargets {
    public static let names = [
        "token", "token-claims", "front-matter", "stripe", "standard", "lemonsqueezy", "json", "webhook-signature",
        "request-path", "cookie", "cookie-header", "http-date", "accept-encoding", "x-forwarded-for", "form-fields",
        "email", "duration", "alipay-notification", "wechatpay-notification", "library-cookie", "user-agent",
        "leak-trace", "database-url",
    ]

    private static let verifier = TokenVerifier(keys: [:])
    /// A fixed key, so `token-claims` can sign whatever claims the fuzzer writes and reach the checks
    /// that run only after a valid signature (time arithmetic, audience, subject).
    private static let claimsKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: Data(repeating: 7, count: 32))
    private static let claimsVerifier = TokenVerifier(keys: ["fuzz": claimsKey.publicKey])
    private static let cookies = AccessCookie(secret: .init(data: Data(repeating: 7, count: 32)))
    private static let libraryCookies = LibraryCookie(secret: .init(data: Data(repeating: 7, count: 32)))
    private static let now = Date(timeIntervalSince1970: 1_800_000_000)
    private static let tracer = LeakTracer(fingerprint: Fingerprint(secret: .init(data: Data(repeating: 7, count: 32))))

    public static func run(_ target: String, _ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        switch target {
        case "token": _ = try? verifier.verify(text)
        case "token-claims": tokenClaims(data)
        case "front-matter": _ = try? FrontMatter.parse(text, file: "fuzz.md")
        case "stripe": _ = try? ProviderParsers.stripe(data)
        case "standard": _ = try? ProviderParsers.standard(data, id: "msg_fuzz")
        case "lemonsqueezy": _ = try? ProviderParsers.lemonSqueezy(data)
        case "json": json(data)
        case "webhook-signature": webhookSignature(text)
        case "request-path": _ = RequestPath(text)
        case "cookie": _ = cookies.check(text, course: "course")
        case "cookie-header": _ = AccessCookie.find(in: text).map { cookies.check($0, course: "course") }
        case "http-date": httpDate(text)
        case "accept-encoding": _ = Gzip.accepted(by: text)
        case "x-forwarded-for": forwardedFor(text)
        case "form-fields": _ = FormFields.parse(text)
        case "email": email(text)
        case "duration": duration(text)
        case "alipay-notification": alipayNotification(text)
        case "wechatpay-notification": weChatPayNotification(data)
        case "library-cookie": libraryCookie(text)
        case "user-agent": userAgent(text)
        case "leak-trace": leakTrace(data)
        case "database-url": databaseURL(text)
        default: fatalError("unknown fuzz target \(target); known: \(names.joined(separator: ", "))")
        }
    }

    /// A library cookie: anything accepted names a positive buyer and a well-formed session (or none, `v1`).
    private static func libraryCookie(_ text: String) {
        guard let value = libraryCookies.value(text, now: now) else { return }
        guard value.buyer > 0, value.session.isEmpty || DeviceSessions.isWellFormed(value.session) else {
            fatalError("library cookie accepted with buyer \(value.buyer), session \(value.session)")
        }
    }

    /// A leaked copy sent to the creator by anyone: read, voted and checked against 64 grants on record.
    private static func leakTrace(_ data: Data) {
        guard let text = try? LeakDocument.text(of: data, file: nil) else { return }
        _ = tracer.trace(text, candidates: Array(1...64))
    }

    /// A User-Agent's family is "browser/platform" from fixed lists, whatever the header holds.
    private static func userAgent(_ text: String) {
        let family = UserAgent.family(text)
        guard family.split(separator: "/").count == 2, family.utf8.count <= 40 else {
            fatalError("user agent family \(family)")
        }
    }

    /// The form reader with Alipay's limits, then the verified fields' reading and the event they make.
    private static func alipayNotification(_ text: String) {
        guard let fields = FormFields.parseStrict(text, maximumFields: 100),
            let notification = try? AlipayNotification.interpret(fields)
        else { return }
        let checkout = EmailAddress("buyer@example.com").map {
            ($0, "course", Money(minorUnits: 9_900, currency: "CNY"))
        }
        _ = try? notification.event(checkout: checkout)
    }

    /// The envelope (its decryption fails at once: the fuzzer has no key), then, with the first line as the
    /// event type and the rest as the decrypted resource, the resource's reading and its event.
    private static func weChatPayNotification(_ data: Data) {
        _ = try? WeChatPayNotification.parse(
            data, apiV3Key: SymmetricKey(data: Data(repeating: 7, count: 32)), merchantID: "1900000109",
            appID: "wx8888888888888888")
        let newline = data.firstIndex(of: 0x0A) ?? data.endIndex
        guard
            let notification = try? WeChatPayNotification.interpret(
                eventType: String(decoding: data[..<newline], as: UTF8.self), id: "fuzz",
                resource: data[newline...].dropFirst(), merchantID: "1900000109", appID: "wx8888888888888888")
        else { return }
        let checkout = EmailAddress("buyer@example.com").map {
            ($0, "course", Money(minorUnits: 9_900, currency: "CNY"))
        }
        _ = try? notification.event(checkout: checkout)
    }

    private static func tokenClaims(_ payload: Data) {
        let header = Base64URL.encode(Data(#"{"alg":"EdDSA","typ":"JWT","kid":"fuzz"}"#.utf8))
        let input = header + "." + Base64URL.encode(payload)
        guard let signature = try? claimsKey.signature(for: Data(input.utf8)) else { return }
        _ = try? claimsVerifier.verify(input + "." + Base64URL.encode(signature), now: now)
    }

    /// An integer reads back as itself; a boolean is never an integer.
    private static func json(_ data: Data) {
        guard let object = try? JSONObject(data: data) else { return }
        for (key, raw) in object.fields.prefix(8) {
            switch JSONValue(raw) {
            case .integer(let exact): precondition(object.integer(key) == exact, "an exact integer changed value")
            case .bool: precondition(object.integer(key) == nil, "a boolean was read as an integer")
            default: break
            }
            _ = object.string(key)
        }
    }

    private static func webhookSignature(_ text: String) {
        let body = Data(#"{"id":"evt"}"#.utf8)
        try? WebhookSignatures.verifyStripe(body: body, header: text, secret: "whsec_fuzz", now: now)
        let fields = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        try? WebhookSignatures.verifyStandard(
            body: body, id: fields.first, timestamp: fields.count > 1 ? fields[1] : "",
            signature: fields.count > 2 ? fields[2] : "", secret: "whsec_AAAA", now: now)
        try? WebhookSignatures.verifyLemonSqueezy(body: body, signature: text, secret: "fuzz")
    }

    /// A date that parses must format back to the same text's meaning.
    private static func httpDate(_ text: String) {
        guard let date = HTTPDate.parse(text) else { return }
        let formatted = HTTPDate.format(date)
        precondition(HTTPDate.parse(formatted) == date, "HTTP date did not survive format and parse: \(formatted)")
    }

    private static func forwardedFor(_ text: String) {
        let key = ClientAddress.key(forwardedFor: text, peer: "192.0.2.1", trustProxy: true)
        precondition(key.utf8.count <= 64 && !key.contains(","), "client key is not one address: \(key)")
    }

    /// An accepted address holds nothing that could end a header or a config line, or open a quote.
    /// The characters are listed again here on purpose, not taken from `EmailAddress`: an oracle that
    /// shared the code it checks could not catch a mistake in it.
    private static func email(_ text: String) {
        guard let address = EmailAddress(text) else { return }
        precondition(
            !address.value.unicodeScalars.contains {
                $0.value < 0x21 || $0.value == 0x7F || "\"\\<>,;:()[]".unicodeScalars.contains($0)
                    || $0.properties.isWhitespace
                    || ($0.properties.generalCategory == .format && $0 != "\u{200C}" && $0 != "\u{200D}")
            },
            "accepted an address with a special character")
        precondition(
            (try? CurlConfig.quoted(address.value)) != nil, "accepted address refused by the curl config writer")
        precondition(EmailAddress(address.value) == address, "normalizing twice changed the address")
    }

    /// `--db` / `LECTERN_DATABASE_URL`: an accepted location has only sane servers and names, and its
    /// description (what messages show) is built from them alone, never the password.
    private static func databaseURL(_ text: String) {
        let location: PostgresLocation
        do {
            location = try PostgresLocation(url: text, environment: [:])
        } catch {
            // Refused with one of the fixed reasons, so nothing of the URL (a password) is repeated back.
            let reasons = PostgresLocation.Problem.allCases.map { "the database URL is not usable: \($0.rawValue)" }
            precondition(reasons.contains((error as? LecternError)?.message ?? ""), "a refusal that is not fixed text")
            return
        }
        precondition((1...8).contains(location.servers.count), "server count \(location.servers.count)")
        for server in location.servers {
            precondition((1...65_535).contains(server.port), "port \(server.port)")
            precondition(
                !server.host.isEmpty
                    && server.host.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && $0 != "/" },
                "host \(server.host)")
        }
        for name in [location.user, location.database] {
            precondition(
                !name.isEmpty && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == " " },
                "name \(name)")
        }
        precondition(!location.database.contains("/"), "database \(location.database)")
        let servers = location.servers.map { "\($0.host):\($0.port)" }.joined(separator: ",")
        precondition(
            location.description == "postgres://\(location.user)@\(servers)/\(location.database)",
            "description holds more than the location")
    }

    private static func duration(_ text: String) {
        guard let seconds = Duration.parseSeconds(text) else { return }
        precondition((1...Duration.maximumSeconds).contains(seconds), "duration out of range: \(seconds)")
    }
}
