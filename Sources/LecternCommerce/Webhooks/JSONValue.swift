import Foundation
import LecternCore

/// One value of a webhook's JSON, classified exactly.
///
/// Parsing is Foundation's `JSONSerialization` (4× faster here than decoding through `JSONDecoder`
/// into an enum, which throws an error for every failed type guess: 57k against 13k parses/s of a
/// Stripe checkout event). Its numbers are `NSNumber`s,
/// read naively in two dangerous ways: on Linux `0` and `1` also pass `is Bool`, so an amount of 1
/// was refused as missing; and `intValue` wraps 2^64 + 4900 to 4900, so an amount could equal the
/// price. Here a boolean is recognised by its class, an integer by the type it was stored with
/// (`objCType`), and anything beyond Int64 (Foundation keeps it as `NSDecimalNumber` or unsigned) is
/// a double, which callers must treat as inexact. `SecurityPartsTests.jsonNumbersAreExact` pins this
/// reading of Foundation's behaviour, so a change there fails a test rather than an amount check.
package enum JSONValue {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([Any])
    case object([String: Any])

    /// Nesting deeper than this is refused before parsing: no provider nests more than a handful, and
    /// the parser recurses once per level.
    static let maximumDepth = 64

    private static let booleanType = type(of: NSNumber(value: true))

    package init(_ any: Any) {
        // Containers first: asking whether a dictionary is an NSNumber bridges it to Foundation first
        // (that order made parsing 4× slower).
        switch any {
        case let object as [String: Any]: self = .object(object)
        case let text as String: self = .string(text)
        case let array as [Any]: self = .array(array)
        case let number as NSNumber: self = Self.classify(number)
        default: self = .null
        }
    }

    private static func classify(_ number: NSNumber) -> JSONValue {
        if type(of: number) == booleanType { return .bool(number.boolValue) }
        if number is NSDecimalNumber { return .number(number.doubleValue) }
        switch number.objCType.pointee {
        case CChar(UInt8(ascii: "c")), CChar(UInt8(ascii: "s")), CChar(UInt8(ascii: "i")), CChar(UInt8(ascii: "l")),
            CChar(UInt8(ascii: "q")):
            return .integer(Int(number.int64Value))
        default:
            return .number(number.doubleValue)
        }
    }

    package static func parse(_ data: Data) throws(HTTPProblem) -> JSONValue {
        guard nestingDepth(of: data) <= maximumDepth else {
            throw .malformed("the JSON body nests deeper than \(maximumDepth) levels")
        }
        guard let any = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw .malformed("the body is not valid JSON")
        }
        return JSONValue(any)
    }

    /// The deepest `[`/`{` nesting outside strings, in one pass over the raw bytes (iterating `Data`
    /// itself was slower than parsing).
    static func nestingDepth(of data: Data) -> Int {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int in
            var depth = 0
            var deepest = 0
            var inString = false
            var escaped = false
            for byte in bytes {
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
            guard text.utf8.count <= 19, text.isASCIIDigits else { return nil }
            return Int(text)
        default: return nil
        }
    }
}
