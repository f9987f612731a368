/// Why an e-mail with a signed link is sent: each reads differently (a re-send is not a purchase).
public enum EmailKind: String, Codable, Sendable, CaseIterable {
    case purchase, resend, comp
}

/// One e-mail's subject and body: plain text with `GateShell.Slot` marks for the course's and the site's
/// titles, the link and the link's lifetime in days. Rendered by the build from the site's strings
/// (`email_<kind>_subject`, `email_<kind>_body`); English when a manifest has none.
public struct EmailWording: Codable, Sendable, Equatable {
    public var subject: String
    public var body: String

    public init(subject: String, body: String) {
        self.subject = subject
        self.body = body
    }

    /// The subject and body for one link, nothing escaped (plain text).
    public func filled(courseTitle: String, siteTitle: String, link: String, days: Int) -> (String, String) {
        let values: [GateShell.Slot: String] = [
            .courseTitle: courseTitle, .siteTitle: siteTitle, .link: link, .days: String(days),
        ]
        return (GateShell.substitute(subject, values), GateShell.substitute(body, values))
    }

    private static let course = GateShell.Slot.courseTitle.mark
    private static let site = GateShell.Slot.siteTitle.mark
    private static let link = GateShell.Slot.link.mark
    private static let days = GateShell.Slot.days.mark

    /// Must equal `site-template/strings/en.toml` (a test compares them).
    public static let english: [EmailKind: EmailWording] = [
        .purchase: EmailWording(
            subject: "Your access to \(course) · \(site)",
            body: """
                Thank you for your purchase.

                Open \(course) here:
                \(link)

                The link is personal: it signs you in on this browser. It works for \(days) days;
                after that, ask for a fresh one on the course page with this e-mail address.

                — \(site)

                """),
        .resend: EmailWording(
            subject: "Your new link to \(course) · \(site)",
            body: """
                Here is a fresh link to \(course), as asked:
                \(link)

                It signs you in on this browser and works for \(days) days. If you did not ask
                for it, ignore this e-mail: nothing about your access has changed.

                — \(site)

                """),
        .comp: EmailWording(
            subject: "You have been given \(course) · \(site)",
            body: """
                \(site) has given you access to \(course).

                Open it here:
                \(link)

                The link is personal: it signs you in on this browser. It works for \(days) days;
                after that, ask for a fresh one on the course page with this e-mail address.

                — \(site)

                """),
    ]
}
