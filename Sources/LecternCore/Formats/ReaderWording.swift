import Foundation

/// The reader-facing words lecternd assembles per request — the visible stamp on a paid page, a date on a
/// gate page, the e-mail with a signed link — rendered by the builder from the site's string table
/// (`t.stamp`, `t.date`, `t.month_1` … `t.month_12`, `t.email_<kind>_subject` and `_body`) with slot
/// marks where the request's values go. So the daemon speaks the site's language without knowing
/// templates or string tables. Stored in the build manifest.
public struct ReaderWording: Codable, Sendable, Equatable {
    /// HTML with `GateShell.Slot.email` and `.order` marks: "Licensed to … · order …".
    public var stamp: String
    /// Text with `.year`, `.month`, `.day` and `.monthName` marks: "5 December 2026", "2026年12月5日".
    public var date: String
    /// Twelve month names, January first.
    public var monthNames: [String]
    /// The link e-mails by `EmailKind` raw value; a kind missing (a manifest written before e-mails had
    /// wording) is sent in English.
    public var emails: [String: EmailWording]
    /// Between titles in a list ("A, B"; "A》、《B" in Chinese, whose template puts 《》 around the list).
    public var listSeparator: String
    /// "Manage your subscription: https://…", added to e-mails about a subscription when the site has a
    /// `[subscriptions] manage_url`; nil otherwise.
    public var manageSubscription: String?
    /// The heading of an offline edition's table of contents ("Contents", "目录"); nil in older manifests.
    public var contents: String?
    /// `stamp` cut at its marks once, so a paid page's stamp is a few appends (it is made per request).
    private var stampParts: [StampPart] = []

    private enum StampPart: Equatable, Sendable {
        case text(String)
        case email, order
    }

    private enum CodingKeys: String, CodingKey {
        case stamp, date, monthNames, emails, listSeparator, manageSubscription, contents
    }

    public init(
        stamp: String, date: String, monthNames: [String], emails: [String: EmailWording], listSeparator: String = ", ",
        manageSubscription: String? = nil, contents: String? = nil
    ) {
        self.manageSubscription = manageSubscription
        self.contents = contents
        self.stamp = stamp
        self.date = date
        self.monthNames = monthNames
        self.emails = emails
        self.listSeparator = listSeparator
        stampParts = Self.parts(of: stamp)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            stamp: try container.decode(String.self, forKey: .stamp),
            date: try container.decode(String.self, forKey: .date),
            monthNames: try container.decode([String].self, forKey: .monthNames),
            emails: try container.decodeIfPresent([String: EmailWording].self, forKey: .emails) ?? [:],
            listSeparator: try container.decodeIfPresent(String.self, forKey: .listSeparator) ?? ", ",
            manageSubscription: try container.decodeIfPresent(String.self, forKey: .manageSubscription),
            contents: try container.decodeIfPresent(String.self, forKey: .contents))
    }

    private static func parts(of stamp: String) -> [StampPart] {
        var parts: [StampPart] = []
        var rest = Substring(stamp)
        while let next = [GateShell.Slot.email, .order].compactMap({ slot in
            rest.range(of: slot.mark).map { (slot, $0) }
        }).min(by: { $0.1.lowerBound < $1.1.lowerBound }) {
            parts.append(.text(String(rest[..<next.1.lowerBound])))
            parts.append(next.0 == .email ? .email : .order)
            rest = rest[next.1.upperBound...]
        }
        parts.append(.text(String(rest)))
        return parts
    }

    /// The wording of bundles built before string tables, and of the tests' hand-made pages.
    public static let english = ReaderWording(
        stamp: "Licensed to \(GateShell.Slot.email.mark) · order \(GateShell.Slot.order.mark)",
        date: "\(GateShell.Slot.day.mark) \(GateShell.Slot.monthName.mark) \(GateShell.Slot.year.mark)",
        monthNames: [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ],
        emails: Dictionary(uniqueKeysWithValues: EmailWording.english.map { ($0.key.rawValue, $0.value) }),
        contents: "Contents")

    /// The subject and body of a link e-mail (plain text: nothing escaped).
    public func email(_ kind: EmailKind, _ values: EmailWording.Values) -> (String, String) {
        let wording =
            emails[kind.rawValue] ?? EmailWording.english[kind] ?? EmailWording(subject: "", body: values.link)
        return wording.filled(values)
    }

    /// The stamp for one buyer, their values HTML-escaped.
    public func stamp(email: String, order: String) -> String {
        var text = ""
        for part in stampParts {
            switch part {
            case .text(let literal): text += literal
            case .email: text += MarkupEscaping.escape(email)
            case .order: text += MarkupEscaping.escape(order)
            }
        }
        return text
    }

    /// A day (UTC) as text, unescaped: the gate page's slot escapes it.
    public func date(_ date: Date) -> String {
        var seconds = time_t(date.secondsInCalendarRange.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let month = Int(parts.tm_mon)
        let values: [GateShell.Slot: String] = [
            .year: String(parts.tm_year + 1900), .month: String(month + 1), .day: String(parts.tm_mday),
            .monthName: monthNames.indices.contains(month) ? monthNames[month] : String(month + 1),
        ]
        return GateShell.substitute(self.date, values)
    }
}
