/// Lower-case hexadecimal of bytes (a SHA-256 in the build manifest, an ETag). `String(format: "%02x")` per byte
/// was a tenth of a 10,000-lesson build's CPU on Linux.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
