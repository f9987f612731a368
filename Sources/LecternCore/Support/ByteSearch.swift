import Glibc

#if canImport(Glibc)
#endif

/// Substring search over UTF-8 bytes with memchr + memcmp. Foundation's `range(of:)` and the generic
/// `firstRange(of:)` were, measured with perf, a third of a whole build's time.
package enum ByteSearch {
    package static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let head = needle.first else { return nil }
        return haystack.withUnsafeBytes { hay -> Int? in
            needle.withUnsafeBytes { pin -> Int? in
                guard let base = hay.baseAddress, let pinBase = pin.baseAddress else { return nil }
                var offset = start
                while offset + pin.count <= hay.count {
                    guard let hit = memchr(base + offset, Int32(head), hay.count - offset - pin.count + 1) else {
                        return nil
                    }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + at, pinBase, pin.count) == 0 { return at }
                    offset = at + 1
                }
                return nil
            }
        }
    }

    /// `text` with the first occurrence of `target` replaced (unchanged when absent).
    package static func replacingFirst(_ target: String, with replacement: String, in text: String) -> String {
        let bytes = Array(text.utf8)
        guard let at = find(Array(target.utf8), in: bytes, from: 0) else { return text }
        var out = bytes[..<at] + Array(replacement.utf8)
        out += bytes[(at + target.utf8.count)...]
        return String(decoding: out, as: UTF8.self)
    }
}
