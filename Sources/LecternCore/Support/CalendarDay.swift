import Foundation

/// A day written `YYYY-MM-DD`, as a creator types one (front matter `date`, `lectern grant --until`) and a
/// checkout field carries one (a gift's `gift_date`): the start of that day in UTC, only if it is a real day.
public enum CalendarDay {
    /// The start of the day in UTC; nil for anything that is not a real day (2026-02-31 is refused, not rolled
    /// over to March). By hand: DateFormatter is costly to create and not safe to share between the threads
    /// that parse lessons.
    public static func start(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int32(parts[0]), let month = Int32(parts[1]), let day = Int32(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var fields = tm()
        fields.tm_year = year - 1900
        fields.tm_mon = month - 1
        fields.tm_mday = day
        let seconds = timegm(&fields)
        // timegm normalizes 2026-02-31 to March 3rd: refuse dates that do not exist.
        guard fields.tm_mday == day, fields.tm_mon == month - 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// The first moment after the day: access "until 2027-01-31" lasts all of that day.
    public static func end(_ text: String) -> Date? {
        start(text).map { $0.addingTimeInterval(86_400) }
    }
}
