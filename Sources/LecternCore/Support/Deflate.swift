import CZlib

/// DEFLATE and CRC-32 through the system zlib: gzip for HTTP responses (`Gzip`), raw DEFLATE and CRC-32
/// for the ZIP container of an EPUB (`ZipArchive`).
public enum Deflate {
    public enum Wrapper: Sendable {
        /// A gzip header and trailer (`Content-Encoding: gzip`).
        case gzip
        /// No header: a ZIP entry's data.
        case raw

        var windowBits: Int32 { self == .gzip ? 15 + 16 : -15 }
    }

    /// `bytes` compressed, or nil if zlib fails or the input is past what zlib counts (the caller stores it).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6, wrapper: Wrapper) -> [UInt8]? {
        guard bytes.count < Int(UInt32.max / 2) else { return nil }
        var stream = z_stream()
        guard
            deflateInit2_(
                &stream, level, Z_DEFLATED, wrapper.windowBits, 8, Z_DEFAULT_STRATEGY,
                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
        var input = bytes
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        return Array(output.prefix(Int(stream.total_out)))
    }

    /// The CRC-32 a ZIP entry records (the one gzip uses too).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        let value = bytes.withUnsafeBufferPointer { buffer in
            CZlib.crc32(0, buffer.baseAddress, UInt32(buffer.count))
        }
        return UInt32(truncatingIfNeeded: value)
    }
}
