import Foundation
import LecternConfig
import LecternCore
import Logging

/// What lecternd tells its operator when it starts (issue 17: it printed only the port): the version, the
/// site and base URL, which providers can deliver webhooks, where mail goes, the signing key and the
/// build it serves — and warnings for settings that work on a laptop and fail a shop. Never a secret:
/// only whether each is set.
struct StartupSummary {
    var config: SiteConfig
    var secrets: WebhookSecrets
    var signingKey: String?
    var manifest: BuildManifest?
    /// `LECTERN_STRIPE_API_KEY` is set: the success page fulfils from Stripe's answer.
    var instantAccess = false
    /// The browser that prints PDF editions; nil: buyers get the EPUB only.
    var printer: String?

    /// `(is a warning, text)` per line, in order.
    var lines: [(warning: Bool, text: String)] {
        var lines: [(Bool, String)] = []
        lines.append((false, "lecternd \(LecternVersion.current): \(config.title) at \(config.baseURL)"))
        let providers = [
            ("stripe", secrets.stripe), ("standard", secrets.standard), ("lemonsqueezy", secrets.lemonSqueezy),
        ]
        let ready = providers.filter { $0.1 != nil }.map(\.0)
        // lecternd's own checkouts: keys from files, read (and checked) before this summary.
        let ownCheckouts = [("alipay", config.alipay != nil), ("wechatpay", config.weChatPay != nil)]
            .filter(\.1).map(\.0)
        if !ownCheckouts.isEmpty {
            lines.append(
                (
                    false,
                    "checkouts placed by lecternd: "
                        + ownCheckouts.map { "/pay/\($0) → /webhooks/\($0)" }.joined(separator: ", ")
                        + " (keys read)"
                ))
        }
        if ready.isEmpty && ownCheckouts.isEmpty {
            lines.append(
                (
                    true,
                    "no webhook secret is set: every purchase is refused (503) until one of "
                        + "LECTERN_STRIPE_WEBHOOK_SECRET, LECTERN_STANDARD_WEBHOOK_SECRET, "
                        + "LECTERN_LEMONSQUEEZY_SECRET is"
                ))
        } else {
            lines.append((false, "webhooks: \(ready.map { "/webhooks/\($0)" }.joined(separator: ", ")) (secrets set)"))
        }
        if instantAccess {
            lines.append((false, "instant access: /access/claim reads unrecorded Stripe sessions from Stripe's API"))
        }
        lines.append(
            printer.map { (false, "offline editions: EPUB, and PDF printed by \($0)") }
                ?? (
                    true, "offline editions: EPUB only; no Chromium for PDFs (install chromium or set LECTERN_CHROMIUM)"
                ))
        switch config.mail.transport {
        case .smtp:
            lines.append(
                (
                    false,
                    "mail: SMTP \(config.mail.smtpHost):\(config.mail.smtpPort)"
                        + "\(config.mail.startTLS ? " (STARTTLS)" : ""), from \(config.mail.from), "
                        + "\(config.mail.concurrency) at once"
                ))
        case .file:
            lines.append(
                (true, "mail goes to files in \(config.mail.folder)/, not to buyers: set [mail] transport = \"smtp\""))
        }
        lines.append((false, "signing key: \(signingKey ?? "none")"))
        if let manifest {
            let built = ISO8601DateFormatter().string(from: manifest.builtAt)
            lines.append((false, "serving the build of \(built): \(manifest.courses.count) course(s)"))
        }
        if let host = URL(string: config.baseURL)?.host, ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) {
            lines.append((true, "base_url \(config.baseURL) is this machine: links in e-mails open nowhere for buyers"))
        } else if config.baseURL.hasPrefix("http:") {
            lines.append((true, "base_url is http: cookies are not marked Secure and links travel in clear text"))
        }
        return lines
    }

    func log(to logger: Logger) {
        for (warning, text) in lines { logger.log(level: warning ? .warning : .info, "\(text)") }
    }
}
