import Foundation

/// The identity (inode, size, mtime) of every source file of a site: `content/`, `site-template/` and
/// `lectern.toml`. Comparing two scans says what was edited, added or removed, without reading files.
struct SourceStamps: Equatable {
    struct Stamp: Equatable { var inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int }

    var files: [String: Stamp] = [:]

    static func scan(_ config: SiteConfig) -> SourceStamps {
        var stamps = SourceStamps()
        for folder in [config.url(config.contentDir), config.url(config.templateDir)] {
            guard let walker = FileManager.default.enumerator(atPath: folder.path) else { continue }
            while let relative = walker.nextObject() as? String {
                if (relative as NSString).lastPathComponent.hasPrefix(".") { continue }
                stamps.add(folder.appendingPathComponent(relative).path)
            }
        }
        stamps.add(config.root.appendingPathComponent(SiteConfig.fileName).path)
        return stamps
    }

    private mutating func add(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return }
        files[path] = Stamp(inode: UInt64(info.st_ino), size: Int64(info.st_size),
                            seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// Paths edited in place, and whether any file appeared or disappeared.
    func changes(since old: SourceStamps) -> (edited: [String], addedOrRemoved: Bool) {
        let edited = files.compactMap { path, stamp in old.files[path].map { $0 != stamp ? path : nil } ?? nil }
        let addedOrRemoved = Set(files.keys) != Set(old.files.keys)
        return (edited.sorted(), addedOrRemoved)
    }
}
