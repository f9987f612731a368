import Foundation

/// A price as written by the creator ("49.00"), held exactly in minor units (cents) with its currency.
public struct Money: Sendable, Equatable, Codable {
    public let minorUnits: Int
    /// ISO 4217 code, upper case.
    public let currency: String

    /// Currencies without a minor unit, as payment providers count them (Stripe's list).
    static let zeroDecimalCurrencies: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    ]

    public init(minorUnits: Int, currency: String) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Parses a decimal string. Returns nil for anything that is not a plain non-negative decimal with
    /// at most as many fraction digits as the currency has (so "49.999" cannot be silently rounded).
    public init?(decimal text: String, currency: String) {
        let code = currency.uppercased()
        guard code.count == 3, code.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        let digitsAfterPoint = Money.zeroDecimalCurrencies.contains(code) ? 0 : 2
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty,
            whole.count <= 12, whole.allSatisfy({ $0.isASCII && $0.isNumber }), let units = Int(whole)
        else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= digitsAfterPoint, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if parts.count == 2 && fraction.isEmpty { return nil }
        while fraction.count < digitsAfterPoint { fraction += "0" }
        var scale = 1
        for _ in 0..<digitsAfterPoint { scale *= 10 }
        self.init(minorUnits: units * scale + (Int(fraction) ?? 0), currency: code)
    }

    public var isFree: Bool { minorUnits == 0 }

    /// "49.00" (or "4900" for a zero-decimal currency).
    public var decimalString: String {
        if Money.zeroDecimalCurrencies.contains(currency) { return String(minorUnits) }
        let cents = minorUnits % 100
        return "\(minorUnits / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// What a reader sees: "$49.00", "€49.00", "49.00 CHF".
    public var display: String { display(language: "en") }

    /// What a reader of `language` (BCP 47) sees, with the symbols CLDR gives that language: in Chinese
    /// the yuan is "¥99.00" and the dollar "US$49.00"; in English "CN¥99.00" and "$49.00".
    public func display(language: String) -> String {
        let chinese = language == "zh" || language.hasPrefix("zh-")
        let symbols: [String: String] =
            chinese
            ? ["CNY": "¥", "USD": "US$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "HKD": "HK$", "TWD": "NT$"]
            : ["USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥"]
        if let symbol = symbols[currency] { return symbol + decimalString }
        return chinese ? currency + " " + decimalString : decimalString + " " + currency
    }
}
