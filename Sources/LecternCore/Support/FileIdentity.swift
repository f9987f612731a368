import Foundation

/// What a path is right now, from one `stat`: device, inode, size and modification time. Caches
/// compare it with the identity they stored to know whether a file changed — a rebuild swaps folders
/// (new inodes), an edit changes size or mtime — without reading the file.
public struct FileIdentity: Equatable, Sendable {
    public enum Kind: Sendable { case file, directory, other }

    public var kind: Kind
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Nanoseconds since 1970 (file times are coarse: one kernel tick).
    public var modified: Int64

    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        default: kind = .other
        }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        // Clamped: a file dated after 2262 (ext4 allows 2446) would overflow nanoseconds, and this
        // runs on every request for a public file.
        let (nanos, overflow) = Int64(info.st_mtim.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
        let whole = overflow ? (info.st_mtim.tv_sec < 0 ? 0 : Int64.max / 2) : max(0, min(Int64.max / 2, nanos))
        modified = whole + Int64(info.st_mtim.tv_nsec)
    }

    /// The identity of a regular file, or nil for anything else (or nothing).
    public static func regularFile(_ path: String) -> FileIdentity? {
        FileIdentity(path: path).flatMap { $0.kind == .file ? $0 : nil }
    }
}
