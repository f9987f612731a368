import Foundation
import LecternCore

/// `?` → `$1`, `$2`, … outside quoted text, quoted identifiers and comments: the store writes SQLite's
/// placeholders once for both engines. Scanned as bytes (every character that matters is ASCII), and kept per
/// statement text; the count must match the arguments, or the statement is not sent.
enum PlaceholderNumbering {
    private static let cache = Locked<[String: (sql: String, count: Int)]>([:])
    /// Statements kept at most: the store has a few dozen texts, but a batch insert's length varies.
    private static let capacity = 512

    static func numbered(_ sql: String, arguments: Int) throws -> String {
        if let hit = cache.withLock({ $0[sql] }) {
            guard hit.count == arguments else { throw PostgresEngineError.placeholders(hit.count, arguments) }
            return hit.sql
        }
        let bytes = Array(sql.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var number = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // To the closing quote (a doubled quote inside closes and reopens: the same bytes either way).
                let end = bytes[(index + 1)...].firstIndex(of: byte) ?? bytes.count - 1
                out += bytes[index...end]
                index = end + 1
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                let end = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count - 1
                out += bytes[index...end]
                index = end + 1
            case UInt8(ascii: "?"):
                number += 1
                out += Array("$\(number)".utf8)
                index += 1
            default:
                out.append(byte)
                index += 1
            }
        }
        let numbered = String(decoding: out, as: UTF8.self)
        cache.withLock { cache in
            if cache.count >= capacity { cache.removeAll() }
            cache[sql] = (numbered, number)
        }
        guard number == arguments else { throw PostgresEngineError.placeholders(number, arguments) }
        return numbered
    }
}
