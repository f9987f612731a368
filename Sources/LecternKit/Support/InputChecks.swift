import Foundation

/// Small checks shared by the parsers of outside input.
extension StringProtocol {
    /// Non-empty and only ASCII digits: no sign, no spaces, no other script's digits (which `Int()`
    /// would refuse anyway, but `Character.isNumber` would not).
    var isASCIIDigits: Bool { !isEmpty && utf8.allSatisfy { (48...57).contains($0) } }
}

extension Date {
    /// Seconds since 1970 clamped to 1970–9999 (`TokenVerifier.validTimes`), for code that turns a date
    /// computed from input (a drip delay, a provider's time) into calendar fields or integers.
    var secondsInCalendarRange: TimeInterval {
        min(max(timeIntervalSince1970, 0), TimeInterval(TokenVerifier.validTimes.upperBound))
    }
}
