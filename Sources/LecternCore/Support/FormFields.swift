import Foundation

/// `application/x-www-form-urlencoded` fields (`+` is a space), as the re-send form posts them. The
/// body is capped by the caller; the number of fields is capped here.
public enum FormFields {
    public static let maximumFields = 32

    public static func parse(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&").prefix(maximumFields) {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}
