import Foundation

/// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for `Last-Modified` and `If-Modified-Since`, by hand:
/// DateFormatter is slow to create and not safe to share between threads.
public enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let day = days[Int((Int64(seconds) / 86_400 % 7 + 7) % 7)]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(day), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    /// Parses IMF-fixdate only (the form every current client sends); nil otherwise. Every field is
    /// range-checked before arithmetic: the header comes from anyone, and `Int32.min - 1900` used to
    /// trap and end the daemon.
    public static func parse(_ text: String) -> Date? {
        guard text.utf8.count <= 64 else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count == 6, fields[5] == "GMT", fields[1].count == 2, fields[3].count == 4,
            let day = Int32(fields[1]), let year = Int32(fields[3]),
            (1...31).contains(day), (1000...9999).contains(year),
            let month = months.firstIndex(of: String(fields[2]))
        else { return nil }
        let clock = fields[4].split(separator: ":", omittingEmptySubsequences: false)
            .compactMap { $0.count == 2 ? Int32($0) : nil }
        // 60 for a leap second, as RFC 9110 allows.
        guard clock.count == 3, (0...23).contains(clock[0]), (0...59).contains(clock[1]), (0...60).contains(clock[2])
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(month)
        parts.tm_mday = day
        parts.tm_hour = clock[0]
        parts.tm_min = clock[1]
        parts.tm_sec = clock[2]
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
