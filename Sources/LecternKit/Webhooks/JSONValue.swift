import Foundation

/// A JSON document read exactly, for webhook bodies.
///
/// `JSONSerialization` hands numbers back as `NSNumber`, and on Linux `0` and `1` also pass as
/// `Bool` while `NSNumber.intValue` wraps 2^64 + 4900 to 4900: an amount could be refused as missing
/// or, worse, accepted as the price. Decoding into this enum keeps `true` and `1` apart and keeps
/// only integers that fit `Int`; anything else is a double, which callers must treat as inexact.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Nesting deeper than this is refused before decoding: the decoder recurses once per level, and
    /// no provider nests more than a handful.
    static let maximumDepth = 64

    static func parse(_ data: Data) throws(HTTPProblem) -> JSONValue {
        guard nestingDepth(of: data) <= maximumDepth else {
            throw .malformed("the JSON body nests deeper than \(maximumDepth) levels")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .malformed("the body is not valid JSON")
        }
    }

    /// The deepest `[`/`{` nesting outside strings, in one pass over the bytes.
    static func nestingDepth(of data: Data) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// Text as a parser wants it: a string, or an integer written as a number.
    var text: String? {
        switch self {
        case .string(let text): return text
        case .integer(let number): return String(number)
        default: return nil
        }
    }

    /// See `JSONObject.integer`.
    var exactInteger: Int? {
        switch self {
        case .integer(let number): return number
        case .number(let number):
            guard number.isFinite, number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else { return nil }
            return Int(number)
        case .string(let text):
            guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ (48...57).contains($0) }) else {
                return nil
            }
            return Int(text)
        default: return nil
        }
    }
}

extension JSONValue: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Order matters: a boolean first (so `1` is never true), then an exact integer, then a double.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
