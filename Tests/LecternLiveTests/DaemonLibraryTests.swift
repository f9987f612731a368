import Foundation
import LecternTestSupport
import Testing

/// One library per buyer, over real HTTP with curl's cookie jars as two devices: one sign-in opens every
/// course the buyer owns, `/access/library.json` lists them with progress kept on the server, a refund closes
/// that course on every device and leaves the other, and signing out expires every cookie a sign-in set.
@Suite(.serialized) struct DaemonLibraryTests {
    static let sqlite = "practical-sqlite"
    static let chinese = "zhishi-fufei-xiezuo"

    func data(_ daemon: DaemonHarness, jar: URL) throws -> [String: Any] {
        let reply = try daemon.curl("/access/library.json", jar: jar)
        #expect(reply.status == 200, "data.json answered \(reply.status)")
        return (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]) ?? [:]
    }

    func courses(_ data: [String: Any]) -> [String: [String: Any]] {
        let list = data["courses"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.compactMap { c in (c["slug"] as? String).map { ($0, c) } })
    }

    /// One buyer's two purchases in a row: one e-mail listing both courses, whose link is the first one's
    /// (issue 17: it was one e-mail per course). Returns that link.
    func twoPurchases(_ daemon: DaemonHarness) async throws -> String {
        let replies = try await daemon.postStripeInARow([
            DaemonHarness.stripeCheckout(event: "evt_a", session: "cs_a", paymentIntent: "pi_a", course: Self.sqlite),
            DaemonHarness.stripeCheckout(
                event: "evt_b", session: "cs_b", paymentIntent: "pi_b", course: Self.chinese, amount: 9_900,
                currency: "cny"),
        ])
        #expect(replies.map { $0.json["result"] as? String } == ["granted", "granted"])
        let mail = try #require(try await daemon.receivedMail(count: 1, timeout: 30).first)
        #expect(try await daemon.receivedMail(count: 2, timeout: 2).count == 1, "one e-mail for both purchases")
        #expect(mail.contains("Thank you for buying Practical SQLite, 写作变现"), "\(mail)")
        #expect(mail.contains("/courses/\(Self.sqlite)/") && mail.contains("/courses/\(Self.chinese)/"))
        return try daemon.link(in: mail)
    }

    /// As on a new device: a fresh link asked for with the form every course page and the library have (one
    /// e-mail again, a re-send about both courses). Returns its link.
    func askForALink(_ daemon: DaemonHarness, mails: Int) async throws -> String {
        let asked = try daemon.curl(
            "/access/resend", arguments: ["-d", "email=ada@example.com&course=\(Self.chinese)"])
        #expect(asked.status == 202, "resend answered \(asked.status)")
        let fresh = try #require(try await daemon.receivedMail(count: mails).last)
        #expect(fresh.contains("Here is a fresh link, as asked") && fresh.contains("/courses/\(Self.sqlite)/"))
        return try daemon.link(in: fresh)
    }

    @Test func oneSignInOpensEveryCourseOwnedAndProgressFollowsTheBuyer() async throws {
        let daemon = try await DaemonHarness(mailConfig: "hold_seconds = 8\n")
        defer { _ = daemon.stop() }
        let sqliteLink = try await twoPurchases(daemon)
        let chineseLink = try await askForALink(daemon, mails: 2)

        // A stranger: not signed in, and the library page offers the e-mail form.
        let stranger = daemon.site.root.appendingPathComponent("stranger.txt")
        #expect(try daemon.curl("/access/library.json", jar: stranger).status == 401)
        let page = try daemon.curl("/library/", jar: stranger)
        #expect(
            page.status == 200 && page.body.contains("action=\"/access/resend\"") && page.body.contains("library.js"))

        // Device 1 signs in with the SQLite link only, and opens the Chinese course too.
        let laptop = daemon.site.root.appendingPathComponent("laptop.txt")
        #expect(try daemon.curl(sqliteLink, jar: laptop, follow: true).status == 200)
        let jar = try String(contentsOf: laptop, encoding: .utf8)
        #expect(jar.contains("#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE") && jar.contains("lectern_library"))
        #expect(jar.contains("\t/\tFALSE\t") && jar.contains("lectern_signed_in\t1"))
        let owned = courses(try data(daemon, jar: laptop))
        #expect(Set(owned.keys) == [Self.sqlite, Self.chinese])
        #expect(owned[Self.sqlite]?["read"] as? Int == 0 && owned[Self.sqlite]?["started"] as? Bool == false)
        let other = try daemon.curl("/learn/\(Self.chinese)/", jar: laptop, follow: true)
        #expect(
            other.status == 200 && other.url.contains("/learn/\(Self.chinese)/")
                && other.body.contains("ada@example.com"))
        #expect(try String(contentsOf: laptop, encoding: .utf8).contains("/learn/\(Self.chinese)/\tFALSE"))

        // Progress on device 1 …
        let lesson = "/learn/\(Self.sqlite)/transactions/"
        let marked = try daemon.curl(
            "/access/progress", jar: laptop,
            arguments: ["-X", "POST", "-H", "Content-Type: application/json", "--data", "{\"path\": \"\(lesson)\"}"])
        #expect(marked.status == 204)
        // … shows on device 2, signed in with the fresh link it asked for.
        let phone = daemon.site.root.appendingPathComponent("phone.txt")
        #expect(try daemon.curl(chineseLink, jar: phone, follow: true).status == 200)
        let onPhone = courses(try data(daemon, jar: phone))
        #expect(onPhone[Self.sqlite]?["read"] as? Int == 1 && onPhone[Self.sqlite]?["started"] as? Bool == true)
        #expect(onPhone[Self.sqlite]?["continue_url"] as? String == lesson)
        #expect(onPhone[Self.sqlite]?["read_urls"] as? [String] == [lesson])
        #expect(try daemon.curl(lesson, jar: phone).status == 200)
        // A link, or the course's own address, lands where the buyer left off on the other device.
        let landing = try daemon.curl("/learn/\(Self.sqlite)/", jar: phone)
        #expect(landing.status == 303 && landing.header("Location") == [lesson], "\(landing.header("Location"))")

        // Refused: a lesson of a course not owned, a path that is no lesson, a forged cookie.
        for (path, status) in [("/learn/nope/x/", 404), ("/learn/\(Self.sqlite)/no-such-lesson/", 404), ("/etc/", 400)]
        {
            let reply = try daemon.curl(
                "/access/progress", jar: phone,
                arguments: ["-X", "POST", "-H", "Content-Type: application/json", "--data", "{\"path\": \"\(path)\"}"])
            #expect(reply.status == status, "\(path)")
        }
        let forged = try daemon.curl(
            "/access/library.json", arguments: ["-H", "Cookie: lectern_library=v1.1.9999999999.AAAA"])
        #expect(forged.status == 401)

        // A refund of one course closes it on both devices and leaves the other.
        _ = try await daemon.postStripe(DaemonHarness.stripeRefund(event: "evt_r", paymentIntent: "pi_a"))
        for device in [laptop, phone] {
            #expect(Set(courses(try data(daemon, jar: device)).keys) == [Self.chinese])
            #expect(try daemon.curl(lesson, jar: device).status == 403)
            #expect(try daemon.curl("/learn/\(Self.chinese)/dingjia/", jar: device).status == 200)
        }

        // Signing out expires, on that browser, the library's cookie, its marker and every course cookie.
        // (curl 7.88 keeps a `Path=/` cookie that `Max-Age=0` removes, so the headers are what is checked.)
        let out = try daemon.curl("/access/sign-out", jar: phone, arguments: ["-X", "POST"])
        #expect(out.status == 303 && out.header("Location") == ["/library/"])
        let cleared = out.header("Set-Cookie")
        for name in ["lectern_library", "lectern_signed_in"] {
            #expect(
                cleared.contains { $0.hasPrefix("\(name)=;") && $0.contains("Path=/;") && $0.contains("Max-Age=0") })
        }
        for course in [Self.sqlite, Self.chinese] {
            #expect(cleared.contains { $0.hasPrefix("lectern_access=;") && $0.contains("Path=/learn/\(course)/;") })
        }
    }

    /// Real browsers, three profiles (each a Chromium run whose cookies carry over to its next run): buy two
    /// courses → one e-mail → profile 1 signs in and its library shows both → profile 2 asks for a link on a
    /// course page and signs in with it → progress made on profile 1 shows on profile 2 → a refund of one
    /// course closes it on both profiles and leaves the other → profile 3, a stranger, is sold to. The library
    /// page and the owner's course pages are made by the pages' own scripts, so only a browser shows they work.
    @Test func threeBrowsersOneLibraryProgressThatFollowsAndPagesThatKnowTheOwner() async throws {
        guard chromiumIsInstalled() else { return }
        let daemon = try await DaemonHarness(mailConfig: "hold_seconds = 8\n")
        defer { _ = daemon.stop() }
        let sqliteLink = try await twoPurchases(daemon)
        let base = "http://127.0.0.1:\(daemon.port)"
        let folder = repoRoot.appendingPathComponent("Tests/artifacts/library")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let values = [
            "buy=(document.querySelector('.cta .buy') || {}).textContent",
            "locks=document.querySelectorAll('.syllabus li.locked').length",
            "owner=!!document.querySelector('details.owner')",
            // Read to the end (progress.js counts a lesson read there).
            "scrolled=(scrollTo(0, document.body.scrollHeight), dispatchEvent(new Event('scroll')), true)",
        ]
        let profiles = (1...3).map { daemon.site.root.appendingPathComponent("profile\($0)-cookies.json") }
        func browse(
            _ first: String, _ shot: String, profile: Int, then: [(String, String)] = [], eval: [String]? = nil
        ) throws -> [[String: Any]] {
            let arguments =
                [
                    first,
                    folder.appendingPathComponent(shot).path, "--settle", "1.5", "--cookies",
                    profiles[profile - 1].path,
                ]
                + (eval ?? values).flatMap { ["--eval", $0] }
                + then.flatMap { ["--then", base + $0.0 + "=" + folder.appendingPathComponent($0.1).path] }
            let run = try browserPeer(arguments)
            try #require(run.status == 0, "browser_peer.py: \(run.stderr)")
            let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return [result] + (result["then"] as? [[String: Any]] ?? [])
        }

        // Profile 1 signs in with the e-mail's link: its library lists both courses; the Chinese course's page
        // greets an owner ("Continue reading", no locks, no "Already bought?"); a lesson read to its end counts.
        let one = try browse(
            sqliteLink, "profile1-signed-in.png", profile: 1,
            then: [
                ("/library/", "library-desktop.png"), ("/courses/\(Self.chinese)/", "course-as-owner.png"),
                ("/learn/\(Self.sqlite)/transactions/", "lesson-read.png"),
            ])
        let library = try #require(one[1]["text"] as? String)
        #expect(library.contains("Practical SQLite") && library.contains("写作变现"))
        #expect(library.contains("Signed in as ada@example.com."))
        let owner = try #require(one[2]["values"] as? [String: Any])
        #expect((owner["buy"] as? String)?.contains("Continue reading") == true, "\(owner)")
        #expect(owner["locks"] as? Int == 0 && owner["owner"] as? Bool == false)
        var recorded = 0
        for _ in 0..<50 where recorded == 0 {
            recorded = try daemon.count("progress", where: "lesson = 'transactions'")
            if recorded == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(recorded == 1, "the lesson read in profile 1 was not recorded")

        // Profile 2, a new device: "Already bought? E-mail me my link" on the Chinese course's page (its form
        // pointed at this test's daemon: the page's own names base_url), then the link from that e-mail.
        let asked = try browse(
            base + "/courses/\(Self.chinese)/", "profile2-asks-for-a-link.png", profile: 2,
            eval: [
                "sent=(() => { const f = document.querySelector('details.owner form'); f.action = '/access/resend';"
                    + " f.querySelector('input[name=email]').value = 'ada@example.com'; f.requestSubmit(); return true; })()"
            ])
        #expect((asked[0]["values"] as? [String: Any])?["sent"] as? Bool == true)
        let fresh = try #require(try await daemon.receivedMail(count: 2).last)
        #expect(fresh.contains("Here is a fresh link, as asked"))
        // Its library shows profile 1's progress (the lesson each sign-in landed on was read to its end too).
        let two = try browse(
            try daemon.link(in: fresh), "profile2-signed-in.png", profile: 2,
            then: [("/library/", "library-profile2.png")])
        let second = try #require(two[1]["text"] as? String)
        #expect(second.contains("2 of 7 lessons read") && second.contains("Continue: Transactions"), "\(second)")
        #expect(second.contains("Sign out other devices"), "two browsers are signed in: \(second)")

        // A refund of the SQLite course closes it on both profiles and leaves the Chinese course open.
        _ = try await daemon.postStripe(DaemonHarness.stripeRefund(event: "evt_r", paymentIntent: "pi_a"))
        for profile in [1, 2] {
            let after = try browse(
                base + "/learn/\(Self.sqlite)/transactions/", "profile\(profile)-after-refund.png", profile: profile,
                then: [("/learn/\(Self.chinese)/dingjia/", "profile\(profile)-other-course.png")], eval: [])
            #expect(
                after[0]["status"] as? Int == 403 && (after[0]["text"] as? String)?.contains("refunded") == true,
                "profile \(profile): \(after[0])")
            #expect(
                after[1]["status"] as? Int == 200 && (after[1]["text"] as? String)?.contains("ada@example.com") == true)
        }

        // Profile 3, a stranger: the course sells ("Buy", locks, "Already bought?"); the library offers the form.
        let three = try browse(
            base + "/courses/\(Self.chinese)/", "course-as-stranger.png", profile: 3,
            then: [("/library/", "library-stranger.png")])
        let stranger = try #require(three[0]["values"] as? [String: Any])
        #expect((stranger["buy"] as? String)?.contains("Buy") == true && (stranger["locks"] as? Int ?? 0) > 0)
        #expect(stranger["owner"] as? Bool == true)
        #expect((three[1]["text"] as? String)?.contains("Send me a fresh link") == true)
    }
}
