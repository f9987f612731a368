import Crypto
import Foundation
import LecternCore

/// One file ready to serve: bytes, a gzip variant for text, and validators.
public struct ServedFile: Sendable {
    public let bytes: [UInt8]
    public let gzipped: [UInt8]?
    public let contentType: String
    /// Strong, quoted; from the content, so a rebuild that writes the same bytes keeps browsers' copies valid.
    public let etag: String
    public let lastModified: Date

    /// The ETag of the gzip variant (a different representation needs a different tag).
    public var gzipETag: String { String(etag.dropLast()) + "-gz\"" }
}

/// Serves files below one root folder with an in-memory cache keyed by path and checked against the
/// file's identity (device, inode, size, mtime) on every request. A rebuild swaps the output folder,
/// so files get new inodes and the next request reads the new bytes: hot reload without a restart,
/// and never a window where the old folder is gone and the new one is not there.
public final class StaticFiles: Sendable {
    public enum Lookup: Sendable {
        case file(ServedFile)
        /// A folder asked for without its trailing slash: redirect to the path plus `/`.
        case addSlash
        case notFound
    }

    /// Files above this size are served but not kept in memory.
    public static let cacheableSize = 8 << 20
    /// Upper bound on cached bytes; the cache is dropped whole when it would pass it (rebuilds do that anyway).
    public static let cacheBudget = 256 << 20

    public let root: URL
    private let cache = Locked<(entries: [String: (FileIdentity, ServedFile)], bytes: Int)>(([:], 0))

    public init(root: URL) { self.root = root }

    public func lookup(_ path: RequestPath) -> Lookup {
        var file = path.file(in: root)
        if path.isFolder { file.appendPathComponent("index.html") }
        guard let identity = FileIdentity(path: file.path) else { return .notFound }
        if identity.kind == .directory { return path.isFolder ? .notFound : .addSlash }
        guard identity.kind == .file else { return .notFound }
        if let (known, served) = cache.withLock({ $0.entries[file.path] }), known == identity { return .file(served) }

        // Only a cache miss pays for the symlink check; a hit is the same inode that passed it.
        guard isInsideRoot(file), let data = FileManager.default.contents(atPath: file.path) else { return .notFound }
        let bytes = [UInt8](data)
        let type = ContentTypes.type(forExtension: file.pathExtension)
        let compressed = ContentTypes.isCompressible(type) && bytes.count >= 256 ? Gzip.compress(bytes) : nil
        let digest = Hex.string(SHA256.hash(data: bytes).prefix(12))
        let served = ServedFile(
            bytes: bytes, gzipped: compressed.flatMap { $0.count < bytes.count ? $0 : nil }, contentType: type,
            etag: "\"\(digest)\"",
            lastModified: Date(timeIntervalSince1970: TimeInterval(identity.modified / 1_000_000_000)))
        if bytes.count <= Self.cacheableSize {
            let cost = bytes.count + (served.gzipped?.count ?? 0)
            cache.withLock { cache in
                if cache.bytes + cost > Self.cacheBudget { cache = ([:], 0) }
                cache.entries[file.path] = (identity, served)
                cache.bytes += cost
            }
        }
        return .file(served)
    }

    /// The file's real path (symlinks resolved) lies below the root's real path.
    private func isInsideRoot(_ file: URL) -> Bool {
        guard let realFile = realpath(file.path, nil), let realRoot = realpath(root.path, nil) else { return false }
        defer {
            free(realFile)
            free(realRoot)
        }
        let filePath = String(cString: realFile)
        let rootPath = String(cString: realRoot)
        return filePath.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/")
    }
}
