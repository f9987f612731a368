import Foundation

/// Small checks shared by the parsers of outside input.
extension StringProtocol {
    /// Non-empty and only ASCII digits: no sign, no spaces, no other script's digits (which `Int()`
    /// would refuse anyway, but `Character.isNumber` would not).
    package var isASCIIDigits: Bool { !isEmpty && utf8.allSatisfy { (48...57).contains($0) } }
}

extension Date {
    /// The Unix times Lectern accepts from outside (tokens, cookies, providers' timestamps): 1970 to the
    /// end of 9999, so that date arithmetic and calendar fields never overflow.
    package static let validUnixTimes = 0...253_402_300_799

    /// Seconds since 1970 clamped to `validUnixTimes`, for code that turns a date computed from input
    /// (a drip delay, a provider's time) into calendar fields or integers.
    package var secondsInCalendarRange: TimeInterval {
        min(max(timeIntervalSince1970, 0), TimeInterval(Date.validUnixTimes.upperBound))
    }
}
