import Foundation

/// A ZIP file written in memory (PKWARE APPNOTE 6.3: local headers, data, central directory; no ZIP64,
/// no encryption): the container of an EPUB. Entries keep the order they are added in, as EPUB requires
/// for its `mimetype` (first, stored, no extra field).
public struct ZipArchive: Sendable {
    public enum Method: UInt16, Sendable {
        case stored = 0
        case deflated = 8
    }

    private struct Entry {
        var name: [UInt8]
        var method: Method
        var crc: UInt32
        var compressedSize: UInt32
        var size: UInt32
        var offset: UInt32
    }

    private var entries: [Entry] = []
    public private(set) var bytes: [UInt8] = []
    /// The time every entry carries (DOS date and time): the edition's build time, so the same inputs give
    /// the same bytes.
    private let dosTime: UInt16
    private let dosDate: UInt16

    public init(modified: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: modified)
        // DOS dates start in 1980 and end in 2107.
        let year = min(max((parts.year ?? 1980) - 1980, 0), 127)
        dosDate = UInt16(year << 9 | (parts.month ?? 1) << 5 | (parts.day ?? 1))
        dosTime = UInt16((parts.hour ?? 0) << 11 | (parts.minute ?? 0) << 5 | (parts.second ?? 0) / 2)
    }

    /// Adds a file. Throws when the archive would pass ZIP's 4 GiB offsets (an edition is megabytes).
    public mutating func add(_ name: String, _ data: [UInt8], method: Method = .deflated) throws {
        let packed = method == .deflated ? Deflate.compress(data, wrapper: .raw) : nil
        let stored = packed ?? data
        // Half of ZIP's 4 GiB leaves room for the central directory `finished()` appends (an edition is MBs).
        let limit = Int(UInt32.max / 2)
        guard data.count < limit, bytes.count + stored.count + name.utf8.count + 30 < limit, entries.count < 65_535
        else { throw LecternError(.output, "the archive is too large for ZIP without ZIP64") }
        let entry = Entry(
            name: Array(name.utf8), method: packed == nil ? .stored : .deflated, crc: Deflate.crc32(data),
            compressedSize: UInt32(stored.count), size: UInt32(data.count), offset: UInt32(bytes.count))
        append32(0x0403_4b50)
        append16(20)  // version needed: 2.0
        append16(1 << 11)  // names are UTF-8
        appendCommon(entry)
        append16(0)  // no extra field
        bytes += entry.name
        bytes += stored
        entries.append(entry)
    }

    /// The finished archive: the central directory and its end record appended.
    public func finished() -> [UInt8] {
        var archive = self
        let directoryStart = UInt32(bytes.count)
        for entry in entries {
            archive.append32(0x0201_4b50)
            archive.append16(20)  // made by: 2.0, MS-DOS attributes
            archive.append16(20)
            archive.append16(1 << 11)
            archive.appendCommon(entry)
            archive.append16(0)  // extra
            archive.append16(0)  // comment
            archive.append16(0)  // disk
            archive.append16(0)  // internal attributes
            archive.append32(0)  // external attributes
            archive.append32(entry.offset)
            archive.bytes += entry.name
        }
        let directorySize = UInt32(archive.bytes.count) - directoryStart
        archive.append32(0x0605_4b50)
        archive.append16(0)
        archive.append16(0)
        archive.append16(UInt16(entries.count))
        archive.append16(UInt16(entries.count))
        archive.append32(directorySize)
        archive.append32(directoryStart)
        archive.append16(0)
        return archive.bytes
    }

    /// The fields local and central headers share, from the method to the name's length.
    private mutating func appendCommon(_ entry: Entry) {
        append16(entry.method.rawValue)
        append16(dosTime)
        append16(dosDate)
        append32(entry.crc)
        append32(entry.compressedSize)
        append32(entry.size)
        append16(UInt16(entry.name.count))
    }

    private mutating func append16(_ value: UInt16) {
        bytes += [UInt8(value & 0xff), UInt8(value >> 8)]
    }

    private mutating func append32(_ value: UInt32) {
        bytes += [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)]
    }
}
