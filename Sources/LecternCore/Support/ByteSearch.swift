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

    /// Replaces every occurrence of each rule's target in one pass from the left; where several targets start
    /// at one place, the first rule listed wins (an edition's links and ids, HTML references undone). Foundation's
    /// `replacingOccurrences` on Linux, eight calls per lesson, had more than doubled a 10,000-lesson build.
    package struct Replacer: Sendable {
        private let targets: [[UInt8]]
        private let replacements: [[UInt8]]
        /// Per first byte, the rules whose target starts with it, in the order given.
        private let byFirstByte: [[Int]]

        package init(_ rules: [(target: String, replacement: String)]) {
            let kept = rules.filter { !$0.target.isEmpty }
            targets = kept.map { Array($0.target.utf8) }
            replacements = kept.map { Array($0.replacement.utf8) }
            var byFirstByte = [[Int]](repeating: [], count: 256)
            for (index, target) in targets.enumerated() { byFirstByte[Int(target[0])].append(index) }
            self.byFirstByte = byFirstByte
        }

        package func callAsFunction(_ text: String) -> String {
            var text = text
            return text.withUTF8 { bytes in
                guard let base = bytes.baseAddress else { return "" }
                var out: [UInt8] = []
                out.reserveCapacity(bytes.count + bytes.count / 8)
                var index = 0
                var copied = 0
                scan: while index < bytes.count {
                    for rule in byFirstByte[Int(bytes[index])] {
                        let target = targets[rule]
                        guard index + target.count <= bytes.count, memcmp(base + index, target, target.count) == 0
                        else { continue }
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<index]))
                        out.append(contentsOf: replacements[rule])
                        index += target.count
                        copied = index
                        continue scan
                    }
                    index += 1
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<bytes.count]))
                return String(decoding: out, as: UTF8.self)
            }
        }
    }
}
