import Foundation
import LecternCore

/// The paid bundle as the daemon sees it: the manifest (catalog) and decoded paid pages, re-read
/// when `lectern build` has swapped in a new bundle. Each access compares the file's identity
/// (inode, size, mtime) with the cached one: one `stat`, no timer, no restart.
public final class LiveBundle: Sendable {
    public let directory: URL
    /// `directory.path` + "/": paths are built per request, and URL appending was 4 % of a paid page.
    private let directoryPath: String
    private let manifestCache: Locked<(FileIdentity, BuildManifest)>
    private let pages = Locked<[String: (FileIdentity, PaidPage)]>([:])
    private let shells = Locked<[GateShell.Variant: (FileIdentity, String)]>([:])

    /// Loads the manifest now, so a daemon started before any build fails at once with a clear error.
    public init(directory: URL) throws {
        self.directory = directory
        directoryPath = directory.path + "/"
        let path = directory.appendingPathComponent(BuildManifest.fileName).path
        guard let identity = FileIdentity.regularFile(path),
            let manifest = try? BuildManifest.load(from: URL(fileURLWithPath: path))
        else {
            throw LecternError(.config, file: path, "no built site to serve", hint: "run `lectern build` first")
        }
        let shell = directory.appendingPathComponent(GateShell.Variant.notFound.fileName).path
        guard FileIdentity.regularFile(shell) != nil else {
            throw LecternError(
                .config, file: shell, "the paid bundle has no gate pages (built by an older lectern)",
                hint: "run `lectern build` with this version")
        }
        manifestCache = Locked((identity, manifest))
    }

    /// The current manifest. If a new one cannot be read (a build mid-swap, a hand edit), the last good one stays.
    public var manifest: BuildManifest {
        let path = directoryPath + BuildManifest.fileName
        let identity = FileIdentity.regularFile(path)
        let (known, cached) = manifestCache.withLock { $0 }
        guard let identity, identity != known, let fresh = try? BuildManifest.load(from: URL(fileURLWithPath: path))
        else {
            return cached
        }
        manifestCache.withLock { $0 = (identity, fresh) }
        return fresh
    }

    public var courses: [BuildManifest.CourseEntry] { manifest.courses }

    /// The paid page of a lesson, or nil when the bundle has none (free lesson, unknown slug).
    public func page(course: String, lesson: String) -> PaidPage? {
        load(directoryPath + course + "/" + lesson + ".page")
    }

    /// A lesson as a chapter of the offline edition (`PaidPage.chapterOutput`), or nil when the build made none.
    public func chapter(course: String, lesson: String) -> PaidPage? {
        load(directoryPath + PaidPage.chapterOutput(course: course, lesson: lesson))
    }

    private func load(_ path: String) -> PaidPage? {
        guard let identity = FileIdentity.regularFile(path) else { return nil }
        if let (known, page) = pages.withLock({ $0[path] }), known == identity { return page }
        guard let data = FileManager.default.contents(atPath: path), let page = try? PaidPage.decode(data, file: path)
        else { return nil }
        pages.withLock { $0[path] = (identity, page) }
        return page
    }

    /// A gate page as the build rendered it (`GateShell`), re-read when a rebuild replaced it.
    public func gateShell(_ variant: GateShell.Variant) -> String? {
        let path = directoryPath + variant.fileName
        guard let identity = FileIdentity.regularFile(path) else { return nil }
        if let (known, shell) = shells.withLock({ $0[variant] }), known == identity { return shell }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let shell = String(decoding: data, as: UTF8.self)
        shells.withLock { $0[variant] = (identity, shell) }
        return shell
    }
}
