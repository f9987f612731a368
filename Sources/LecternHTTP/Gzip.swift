import Foundation
import LecternCore

/// gzip through the system zlib (the format browsers accept as `Content-Encoding: gzip`).
public enum Gzip {
    /// The gzip member for `bytes`, or nil if zlib fails (the caller then serves identity).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8]? {
        Deflate.compress(bytes, level: level, wrapper: .gzip)
    }

    /// The client's `Accept-Encoding` allows gzip (and does not refuse it with `q=0`).
    public static func accepted(by acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        for item in acceptEncoding.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "*" else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }
}
