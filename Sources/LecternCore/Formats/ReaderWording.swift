import Foundation

/// The reader-facing words lecternd assembles per request — the visible stamp on a paid page and a date
/// on a gate page — rendered by the builder from the site's string table (`t.stamp`, `t.date`,
/// `t.month_1` … `t.month_12`) with slot marks where the request's values go. So the daemon speaks the
/// site's language without knowing templates or string tables. Stored in the build manifest.
public struct ReaderWording: Codable, Sendable, Equatable {
    /// HTML with `GateShell.Slot.email` and `.order` marks: "Licensed to … · order …".
    public var stamp: String
    /// Text with `.year`, `.month`, `.day` and `.monthName` marks: "5 December 2026", "2026年12月5日".
    public var date: String
    /// Twelve month names, January first.
    public var monthNames: [String]

    public init(stamp: String, date: String, monthNames: [String]) {
        self.stamp = stamp
        self.date = date
        self.monthNames = monthNames
    }

    /// The wording of bundles built before string tables, and of the tests' hand-made pages.
    public static let english = ReaderWording(
        stamp: "Licensed to \(GateShell.Slot.email.mark) · order \(GateShell.Slot.order.mark)",
        date: "\(GateShell.Slot.day.mark) \(GateShell.Slot.monthName.mark) \(GateShell.Slot.year.mark)",
        monthNames: [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ])

    /// The stamp for one buyer, their values HTML-escaped.
    public func stamp(email: String, order: String) -> String {
        GateShell.fill(stamp, [.email: email, .order: order])
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
        var text = self.date
        for (slot, value) in values { text = text.replacingOccurrences(of: slot.mark, with: value) }
        return text
    }
}
