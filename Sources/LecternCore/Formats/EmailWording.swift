/// Why an e-mail with a signed link is sent: each reads differently (a re-send is not a purchase).
public enum EmailKind: String, Codable, Sendable, CaseIterable {
    case purchase, resend, comp
    /// To a gift's recipient, with their link and who gave it; `receipt` to the giver, with no link.
    case gift, receipt
}

/// One e-mail's subject and body: plain text with `GateShell.Slot` marks for the course's and the site's
/// titles, the link and its lifetime in days, the buyer's courses and the library's address. Rendered by
/// the build from the site's strings (`email_<kind>_subject`, `email_<kind>_body`); English when a
/// manifest has none.
public struct EmailWording: Codable, Sendable, Equatable {
    public var subject: String
    public var body: String

    public init(subject: String, body: String) {
        self.subject = subject
        self.body = body
    }

    /// What one e-mail says: the titles it is about (already joined), the buyer's courses (one line each)
    /// and the addresses.
    public struct Values: Sendable {
        public var courseTitle: String
        public var siteTitle: String
        public var link: String
        public var days: Int
        public var courses: String
        public var libraryURL: String
        /// A gift's giver and recipient (their addresses), in the gift e-mail and the giver's receipt.
        public var giver: String
        public var recipient: String
        /// When a gift is delivered (`date` slot), in the site's words.
        public var date: String

        public init(
            courseTitle: String, siteTitle: String, link: String, days: Int, courses: String = "",
            libraryURL: String = "", giver: String = "", recipient: String = "", date: String = ""
        ) {
            (self.courseTitle, self.siteTitle, self.link, self.days) = (courseTitle, siteTitle, link, days)
            (self.courses, self.libraryURL, self.date) = (courses, libraryURL, date)
            (self.giver, self.recipient) = (giver, recipient)
        }
    }

    /// The subject and body, nothing escaped (plain text).
    public func filled(_ values: Values) -> (String, String) {
        let slots: [GateShell.Slot: String] = [
            .courseTitle: values.courseTitle, .siteTitle: values.siteTitle, .link: values.link,
            .days: String(values.days), .courses: values.courses, .libraryURL: values.libraryURL,
            .giver: values.giver, .recipient: values.recipient, .date: values.date,
        ]
        return (GateShell.substitute(subject, slots), GateShell.substitute(body, slots))
    }

    private static let course = GateShell.Slot.courseTitle.mark
    private static let site = GateShell.Slot.siteTitle.mark
    private static let link = GateShell.Slot.link.mark
    private static let days = GateShell.Slot.days.mark
    private static let courses = GateShell.Slot.courses.mark
    private static let library = GateShell.Slot.libraryURL.mark
    private static let giver = GateShell.Slot.giver.mark
    private static let recipient = GateShell.Slot.recipient.mark
    private static let date = GateShell.Slot.date.mark

    /// Must equal `site-template/strings/en.toml` (a test compares them).
    public static let english: [EmailKind: EmailWording] = [
        .purchase: EmailWording(
            subject: "Your access to \(course) · \(site)",
            body: """
                Thank you for buying \(course).

                Open it here (the link signs you in on this browser):
                \(link)

                Everything you own at \(site):
                \(courses)

                The link works for \(days) days; your access does not depend on it. On another
                device, or later, ask for a fresh link at \(library) with this address.

                — \(site)

                """),
        .resend: EmailWording(
            subject: "Your new link to \(course) · \(site)",
            body: """
                Here is a fresh link, as asked (it signs you in on this browser):
                \(link)

                Everything you own at \(site):
                \(courses)

                The link works for \(days) days; your access does not depend on it. If you did not
                ask for it, ignore this e-mail: nothing about your access has changed.

                — \(site)

                """),
        .comp: EmailWording(
            subject: "You have been given \(course) · \(site)",
            body: """
                \(site) has given you \(course).

                Open it here (the link signs you in on this browser):
                \(link)

                Everything you own at \(site):
                \(courses)

                The link works for \(days) days; your access does not depend on it. On another
                device, or later, ask for a fresh link at \(library) with this address.

                — \(site)

                """),
        .gift: EmailWording(
            subject: "A gift for you: \(course) · \(site)",
            body: """
                \(giver) has given you \(course).

                Open it here (the link signs you in on this browser):
                \(link)

                Everything you own at \(site):
                \(courses)

                The link works for \(days) days; your access does not depend on it. On another
                device, or later, ask for a fresh link at \(library) with this address.

                — \(site)

                """),
        .receipt: EmailWording(
            subject: "Your gift of \(course) · \(site)",
            body: """
                Thank you for giving \(course) to \(recipient).

                We e-mail them their link on \(date). Later, they can get a fresh one at
                \(library) with their address.

                — \(site)

                """),
    ]
}
