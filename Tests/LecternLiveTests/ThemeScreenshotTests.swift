import Foundation
import LecternTestSupport
import Testing

/// The default theme in headless Chromium, served by a real lecternd: home, course landing, free
/// lesson and a buyer's paid lesson, at desktop and phone widths, light and dark. Screenshots go to
/// Tests/artifacts/theme/; the assertions are layout facts, not pixels.
@Suite(.serialized) struct ThemeScreenshotTests {
    static let folder = BrowserWatermarkTests.artifacts.appendingPathComponent("theme")

    static let checks = [
        "overflow=document.documentElement.scrollWidth - innerWidth",
        "buyAboveFold=(() => { const b = document.querySelector('.hero .buy, main .buy'); if (!b) return null; const r = b.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()",
        "background=getComputedStyle(document.body).backgroundColor",
        "color=getComputedStyle(document.body).color",
        "landmarks=['header', 'main', 'footer'].every((tag) => document.querySelector(tag))",
        "imagesWithoutAlt=document.querySelectorAll('img:not([alt])').length",
        "external=performance.getEntriesByType('resource').filter((e) => !e.name.startsWith(location.origin)).map((e) => e.name).join(' ')",
    ]

    @Test func pagesAtDesktopAndPhoneInLightAndDark() async throws {
        guard chromiumIsInstalled() else { return }
        let daemon = try await DaemonHarness()
        defer { _ = daemon.stop() }
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(event: "evt_1", session: "cs_1", paymentIntent: "pi_1"))
        let link = try daemon.link(in: try #require(try await daemon.receivedMail(count: 1).first))
        try? FileManager.default.removeItem(at: Self.folder)
        try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)

        let base = "http://127.0.0.1:\(daemon.port)"
        let pages = [
            ("home", base + "/", 200), ("course", base + "/courses/practical-sqlite/", 200),
            ("free-lesson", base + "/courses/practical-sqlite/why-sqlite/", 200), ("paid-lesson", link, 200),
        ]
        let backgrounds = try shoot(pages, prefix: "")
        #expect(backgrounds["light"] != backgrounds["dark"], "dark mode does not change the page")

        // The catalog's search, run by the browser over the built index: free lessons are found, in
        // English by a word's start, in Chinese by a word in the middle of a sentence (课还躺在草稿箱里).
        for (query, lesson) in [
            ("snapshot", "/courses/practical-sqlite/why-sqlite/"), ("草稿箱", "/courses/zhishi-fufei-xiezuo/xuanti/"),
        ] {
            let found = try searchResults(base: base, query: query)
            #expect(found.contains(lesson), "search for \(query) found: \(found)")
            #expect(!found.contains("/learn/"), "search must not list paid lessons")
        }
        // A Chinese word only a paid lesson holds finds nothing: the index has only public text.
        #expect(try searchResults(base: base, query: "改稿").isEmpty)
    }

    /// The theme in Chinese (`language = "zh-CN"`): a buyer of the Chinese course, the course's pages (with
    /// the Alipay pay form) and lecternd's own pages, with no English word of the theme left on any of them
    /// (the course text and the site's title are the creator's).
    @Test func theChineseThemeAtDesktopAndPhoneInLightAndDark() async throws {
        guard chromiumIsInstalled() else { return }
        let daemon = try await DaemonHarness { site in
            let keys = site.root.appendingPathComponent("keys")
            try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
            let peer = repoRoot.appendingPathComponent("Tests/peers/alipay_peer.py").path
            try #require(try runProgram("/usr/bin/env", ["python3", peer, "keys", keys.path]).status == 0)
            let toml = try site.read("lectern.toml")
            try site.write(
                "lectern.toml",
                toml.replacingOccurrences(of: "language = \"en\"", with: "language = \"zh-CN\"")
                    .replacingOccurrences(of: "Lectern Example School", with: "Lectern 示例学堂")
                    + "\n[alipay]\napp_id = \"2021000000000001\"\n")
        }
        defer { _ = daemon.stop() }
        _ = try await daemon.postStripe(
            DaemonHarness.stripeCheckout(
                event: "evt_zh", session: "cs_zh", paymentIntent: "pi_zh", course: "zhishi-fufei-xiezuo", amount: 9_900,
                currency: "cny"))
        let mail = try #require(try await daemon.receivedMail(count: 1).first)
        #expect(mail.contains("感谢你购买《写作变现") && mail.contains("点击下面的链接打开"), "\(mail)")
        let link = try daemon.link(in: mail)
        try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
        let base = "http://127.0.0.1:\(daemon.port)"
        let course = "/courses/zhishi-fufei-xiezuo/"
        let pages = [
            ("home", base + "/", 200), ("course", base + course, 200), ("free-lesson", base + course + "xuanti/", 200),
            ("paid-lesson", link, 200), ("gate-invalid-link", base + "/learn/zhishi-fufei-xiezuo/?token=broken", 401),
            ("not-found", base + "/no-such-page/", 404),
        ]
        let words = try SiteLanguageProbe.englishPhrases()
        _ = try shoot(pages, prefix: "zh-", englishPhrases: words)
        // The course is sold by lecternd through Alipay: its buy buttons lead to the pay form.
        let page = try daemon.curl(course).body
        #expect(page.contains("id=\"pay\"") && page.contains("支付宝支付"))
        #expect(page.contains("/courses/zhishi-fufei-xiezuo/#pay\">"))
    }

    /// The links the catalog's search lists for a query, as the browser runs it.
    func searchResults(base: String, query: String) throws -> String {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        let shot = Self.folder.appendingPathComponent(
            query.allSatisfy(\.isASCII) ? "search-desktop-light.png" : "search-zh.png")
        let run = try browserPeer([
            base + "/?q=" + encoded, shot.path, "--eval",
            "results=[...document.querySelectorAll('#search-results a')].map((a) => a.getAttribute('href')).join(' ')",
        ])
        try #require(run.status == 0, "\(run.stderr)")
        let values =
            (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["values"]
            as? [String: Any]
        return values?["results"] as? String ?? ""
    }

    /// Screenshots of each page at desktop and phone widths, light and dark, with the layout checks; the
    /// body's background per scheme. `englishPhrases`: words that must not be on the page (innerText).
    func shoot(
        _ pages: [(String, String, Int)], prefix: String, englishPhrases: [String] = []
    ) throws -> [String: Set<String>] {
        var backgrounds: [String: Set<String>] = [:]
        for (name, url, status) in pages {
            for (device, width, height) in [("desktop", 1280, 900), ("phone", 375, 740)] {
                for scheme in ["light", "dark"] {
                    let shot = Self.folder.appendingPathComponent("\(prefix)\(name)-\(device)-\(scheme).png")
                    var arguments = [
                        url, shot.path,
                        "--width", String(width), "--height", String(height),
                    ]
                    if device == "phone" { arguments.append("--mobile") }
                    if scheme == "dark" { arguments.append("--dark") }
                    for check in Self.checks { arguments += ["--eval", check] }
                    if !englishPhrases.isEmpty { arguments += ["--eval", "text=document.body.innerText"] }
                    let run = try browserPeer(arguments)
                    try #require(run.status == 0, "browser_peer.py \(name) \(device) \(scheme): \(run.stderr)")
                    let result = try #require(
                        try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
                    let values = try #require(result["values"] as? [String: Any])
                    let label = "\(name) \(device) \(scheme)"
                    #expect(result["status"] as? Int == status, "\(label)")
                    let text = values["text"] as? String ?? ""
                    for phrase in englishPhrases where SiteLanguageProbe.shows(text, phrase) {
                        Issue.record("\(label) shows the English \"\(phrase)\"")
                    }
                    #expect((values["overflow"] as? Int ?? 1) <= 0, "\(label): horizontal overflow")
                    #expect(values["landmarks"] as? Bool == true && values["imagesWithoutAlt"] as? Int == 0, "\(label)")
                    #expect(
                        (values["external"] as? String ?? "x").isEmpty,
                        "\(label) fetched from elsewhere: \(values["external"] ?? "")")
                    if name == "course" {
                        #expect(values["buyAboveFold"] as? Bool == true, "\(label): buy button below the fold")
                    }
                    let contrast = Self.contrast(
                        values["color"] as? String ?? "", values["background"] as? String ?? "")
                    #expect(contrast >= 7, "\(label): text contrast \(contrast) (AAA is 7)")
                    backgrounds[scheme, default: []].insert(values["background"] as? String ?? "")
                    #expect(try Data(contentsOf: shot).count > 5_000)
                }
            }
        }
        return backgrounds
    }

    /// WCAG contrast ratio of two `rgb(r, g, b)` colours.
    static func contrast(_ a: String, _ b: String) -> Double {
        func luminance(_ css: String) -> Double? {
            let numbers = css.split(whereSeparator: { !$0.isNumber && $0 != "." }).compactMap { Double($0) }
            guard numbers.count >= 3 else { return nil }
            let channels = numbers.prefix(3).map { value -> Double in
                let c = value / 255
                return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
            }
            return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
        }
        guard let x = luminance(a), let y = luminance(b) else { return 0 }
        return (max(x, y) + 0.05) / (min(x, y) + 0.05)
    }
}
