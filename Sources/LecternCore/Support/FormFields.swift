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

    /// Every field, for a body whose every field counts (a signed notification): nil when there are more
    /// than `maximumFields`, a name appears twice, or a percent-escape is not UTF-8, rather than silently
    /// dropping or choosing one.
    public static func parseStrict(_ body: String, maximumFields: Int) -> [String: String]? {
        var fields: [String: String] = [:]
        let pairs = body.split(separator: "&")
        guard pairs.count <= maximumFields else { return nil }
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = parts[0], !name.isEmpty, let value = parts.count > 1 ? parts[1] : "",
                fields.updateValue(value, forKey: name) == nil
            else { return nil }
        }
        return fields
    }
}
