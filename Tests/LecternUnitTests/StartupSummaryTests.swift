import Foundation
import LecternCore
import Testing

@testable import LecternConfig
@testable import LecternServer

/// What lecternd says when it starts (issue 17): enough to see a misconfigured shop at once, no secret.
@Suite struct StartupSummaryTests {
    @Test func aLaptopSetUpGetsItsWarningsAndALiveShopNone() {
        var laptop = SiteConfig(root: URL(fileURLWithPath: "/tmp/site"))
        laptop.baseURL = "http://127.0.0.1:8080"
        let cold = StartupSummary(config: laptop, secrets: WebhookSecrets(), signingKey: "k1", manifest: nil).lines
        #expect(cold.filter(\.warning).count == 4, "\(cold)")
        #expect(cold.contains { $0.warning && $0.text.contains("EPUB only; no Chromium") })
        #expect(cold.contains { $0.warning && $0.text.contains("no webhook secret") })
        #expect(cold.contains { $0.warning && $0.text.contains("mail goes to files") })
        #expect(cold.contains { $0.warning && $0.text.contains("is this machine") })

        var shop = laptop
        shop.baseURL = "https://school.example"
        shop.mail.transport = .smtp
        shop.mail.smtpHost = "smtp.example"
        let secret = "whsec_do_not_print_me"
        let live = StartupSummary(
            config: shop, secrets: WebhookSecrets(stripe: secret), signingKey: "k1", manifest: nil,
            printer: "/usr/bin/chromium"
        ).lines
        #expect(live.allSatisfy { !$0.warning }, "\(live)")
        #expect(
            live.contains { $0.text.contains("/webhooks/stripe") } && live.contains { $0.text.contains("smtp.example") }
        )
        #expect(live.allSatisfy { !$0.text.contains(secret) })
        #expect(live.first?.text.hasPrefix("lecternd \(LecternVersion.current)") == true)
    }
}
