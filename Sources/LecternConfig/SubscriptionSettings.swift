import Foundation
import LecternCore

/// `[subscriptions]` in `lectern.toml`: how subscription access ends, and where a subscriber manages their
/// billing (the "access ended" page and the access e-mails link to it).
///
///     [subscriptions]
///     grace = "3d"                  # access outlasts the paid period this long while a renewal is retried
///     manage_url = "https://billing.stripe.com/p/login/…"   # Stripe's customer portal, Lemon Squeezy's …
public struct SubscriptionSettings: Sendable, Equatable {
    public var graceSeconds = 3 * 86_400
    /// The provider's customer portal (a subscriber signs in there with their e-mail); nil: no link shown.
    public var manageURL: String?

    public init() {}

    init(_ table: SettingsTable) throws {
        try table.rejectUnknownKeys(allowed: ["grace", "manage_url"], section: "subscriptions")
        if let text = try table.string("grace") {
            guard let seconds = text == "0" ? 0 : Duration.parseSeconds(text), seconds <= 90 * 86_400 else {
                throw table.error(
                    "grace", "`subscriptions.grace` must be a duration of at most 90 days, such as \"3d\", or \"0\"")
            }
            graceSeconds = seconds
        }
        if let url = try table.string("manage_url") {
            // It goes into pages and e-mails: an https address, nothing that could break out of an attribute.
            guard let parsed = URL(string: url), parsed.scheme == "https", parsed.host != nil,
                url.utf8.count <= 500, !url.contains(where: { $0.isWhitespace || "\"'<>`".contains($0) })
            else {
                throw table.error(
                    "manage_url", "`subscriptions.manage_url` must be an https address",
                    hint:
                        "Stripe: Settings → Billing → Customer portal → the login link "
                        + "(https://billing.stripe.com/p/login/…); "
                        + "Lemon Squeezy: https://<your-store>.lemonsqueezy.com/billing")
            }
            manageURL = url
        }
    }
}
