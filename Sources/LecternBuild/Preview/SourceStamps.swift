import Foundation
import LecternConfig
import LecternCore

/// The identity (inode, size, mtime) of every source file of a site: `content/`, `site-template/` and
/// `lectern.toml`. Comparing two scans says what was edited, added or removed, without reading files.
struct SourceStamps: Equatable {
    var files: [String: FileIdentity] = [:]

    static func scan(_ config: SiteConfig) -> SourceStamps {
        var stamps = SourceStamps()
        for folder in [config.url(config.contentDir), config.url(config.templateDir)] { stamps.walk(folder.path) }
        stamps.add(config.root.appendingPathComponent(SiteConfig.fileName).path)
        return stamps
    }

    /// readdir + stat by hand: FileManager's enumerator was most of a 2,000-lesson refresh.
    private mutating func walk(_ directory: String) {
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = directory + "/" + name
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {  // some file systems do not fill d_type
                var info = stat()
                isDirectory = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            }
            if isDirectory { walk(path) } else { add(path) }
        }
    }

    private mutating func add(_ path: String) {
        if let identity = FileIdentity.regularFile(path) { files[path] = identity }
    }

    /// Paths edited in place, and whether any file appeared or disappeared.
    func changes(since old: SourceStamps) -> (edited: [String], addedOrRemoved: Bool) {
        let edited = files.compactMap { path, stamp in old.files[path].map { $0 != stamp ? path : nil } ?? nil }
        let addedOrRemoved = Set(files.keys) != Set(old.files.keys)
        return (edited.sorted(), addedOrRemoved)
    }
}
