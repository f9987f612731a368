import Foundation
import LecternTestSupport
import Testing

/// Sharing signals over real HTTP, with curl's cookie jars as three browsers on three networks (the daemon
/// trusts `X-Forwarded-For`, as behind nginx): each sign-in is a session; `[daemon] max_devices = 2` signs
/// out the least recently seen browser when a third signs in, and that browser is told so; "sign out other
/// devices" ends the rest; `lectern sharing` lists the buyer seen from three networks in a day.
@Suite(.serialized) struct DaemonSharingTests {
    static let lesson = "/learn/practical-sqlite/schema-design/"
    static let agents = [
        "laptop": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15",
        "phone":
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
        "wechat": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.42",
    ]
    static let networks = ["laptop": "198.51.100.7", "phone": "203.0.113.5", "wechat": "192.0.2.44"]

    struct Browser {
        let name: String
        let jar: URL
        var headers: [String] {
            [
                "-H", "User-Agent: \(DaemonSharingTests.agents[name]!)", "-H",
                "X-Forwarded-For: \(DaemonSharingTests.networks[name]!)",
            ]
        }
    }

    @Test func aThirdBrowserSignsOutTheLeastRecentOneAndSharingIsListed() async throws {
        let daemon = try await DaemonHarness(extraConfig: "trust_proxy = true\nmax_devices = 2\n")
        defer { _ = daemon.stop() }
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_s", session: "cs_s", paymentIntent: "pi_s"))
        let link = try daemon.link(in: try #require(try await daemon.receivedMail(count: 1).first))
        let browsers = ["laptop", "phone", "wechat"].map {
            Browser(name: $0, jar: daemon.site.root.appendingPathComponent("\($0).jar"))
        }
        let (laptop, phone, wechat) = (browsers[0], browsers[1], browsers[2])
        func read(_ browser: Browser) throws -> DaemonHarness.CurlReply {
            try daemon.curl(Self.lesson, jar: browser.jar, arguments: browser.headers)
        }

        for browser in [laptop, phone] {
            #expect(try daemon.curl(link, jar: browser.jar, arguments: browser.headers).status == 303)
            #expect(try read(browser).status == 200, "\(browser.name)")
        }
        let library = try daemon.curl("/access/library.json", jar: laptop.jar, arguments: laptop.headers)
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(library.body.utf8)) as? [String: Any])
        let devices = listed["devices"] as? [[String: Any]] ?? []
        #expect(Set(devices.compactMap { $0["browser"] as? String }) == ["Safari/macOS", "Chrome/Android"])
        #expect(
            devices.filter { $0["this_device"] as? Bool == true }.map { $0["browser"] as? String } == ["Safari/macOS"])
        #expect(listed["max_devices"] as? Int == 2)
        #expect(!library.body.contains("198.51.100"), "no address reaches the page")

        // A third browser signs in: the laptop, seen least recently, is signed out and says why.
        #expect(try daemon.curl(link, jar: wechat.jar, arguments: wechat.headers).status == 303)
        #expect(try read(wechat).status == 200)
        let signedOut = try read(laptop)
        #expect(signedOut.status == 401 && signedOut.body.contains("Signed out on this device"))
        #expect(signedOut.body.contains("action=\"/access/resend\""), "with the form for a fresh link")
        #expect(try read(phone).status == 200)
        #expect(try daemon.count("sessions", where: "ended_reason = 'device limit'") == 1)

        // Three networks in a day: `lectern sharing` lists the buyer (written within a couple of seconds).
        var listing = ""
        for _ in 0..<30 {
            listing = try CommandLineTests().lectern(["sharing", "--networks", "3"], in: daemon.site.root).stdout
            if listing.contains("ada@example.com") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(listing.contains("ada@example.com\t") && listing.contains("\t3\t"), "\(listing)")
        #expect(listing.contains("WeChat/iOS"))
        let quiet = try CommandLineTests().lectern(["sharing", "--networks", "4"], in: daemon.site.root)
        #expect(quiet.status == 0 && quiet.stdout.contains("No buyer was seen from 4 or more networks"))
        #expect(try CommandLineTests().lectern(["sharing", "--days", "0"], in: daemon.site.root).status != 0)

        // "Sign out other devices" from WeChat: the phone is out, WeChat reads on.
        let others = try daemon.curl(
            "/access/sign-out-others", jar: wechat.jar, arguments: wechat.headers + ["-X", "POST"])
        #expect(others.status == 303)
        #expect(try read(phone).status == 401 && read(wechat).status == 200)

        // Signing out ends the session on the server too: a copy of the cookies opens nothing afterwards.
        let copied = try String(contentsOf: wechat.jar, encoding: .utf8)
        #expect(try daemon.curl("/access/sign-out", jar: wechat.jar, arguments: ["-X", "POST"]).status == 303)
        let replay = daemon.site.root.appendingPathComponent("replay.jar")
        try copied.write(to: replay, atomically: true, encoding: .utf8)
        let replayed = try daemon.curl(Self.lesson, jar: replay)
        #expect(replayed.status == 303 && replayed.header("Location") == ["/courses/practical-sqlite/"])
        #expect(try daemon.curl("/access/library.json", jar: replay).status == 401)
    }
}
