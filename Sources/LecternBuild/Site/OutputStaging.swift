import CFileSystem
import Foundation
import LecternCore

/// Writes a build into hidden staging folders next to the real output folders and swaps them in only
/// when everything succeeded, so a failed build leaves the previous site untouched and a running
/// server never sees a half-written one.
///
/// Files are written without a per-file fsync (Foundation's `Data.write` syncs each one, which was
/// the largest single cost of a build); one `syncfs` before the swap makes the whole tree durable.
final class OutputStaging: @unchecked Sendable {
    // @unchecked: after init only `write`/`copy` run concurrently, and they touch distinct paths.
    enum Area { case publicSite, paidBundle }

    let publicFinal: URL, paidFinal: URL
    let publicStaging: URL, paidStaging: URL
    private(set) var committed = false

    init(publicDir: URL, paidDir: URL) throws {
        publicFinal = publicDir.standardizedFileURL
        paidFinal = paidDir.standardizedFileURL
        for parent in Set([publicFinal.deletingLastPathComponent(), paidFinal.deletingLastPathComponent()]) {
            Self.removeAbandonedStaging(in: parent)
        }
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        publicStaging = publicFinal.deletingLastPathComponent().appendingPathComponent(
            ".lectern-staging-\(tag)-\(publicFinal.lastPathComponent)")
        paidStaging = paidFinal.deletingLastPathComponent().appendingPathComponent(
            ".lectern-staging-\(tag)-\(paidFinal.lastPathComponent)")
        for dir in [publicStaging, paidStaging] {
            do {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            } catch {
                throw LecternError(
                    .output, file: dir.deletingLastPathComponent().path,
                    "cannot create the output folder (\(error.localizedDescription))")
            }
        }
    }

    deinit {
        if !committed { discard() }
    }

    /// Staging folders left by a build that was killed (`kill -9`, a power cut): their process is gone.
    /// A build still running in another process keeps its own.
    static func removeAbandonedStaging(in parent: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names where name.hasPrefix(".lectern-staging-") {
            let pidText = name.dropFirst(".lectern-staging-".count).prefix { $0 != "-" }
            guard let pid = Int32(pidText), pid > 0, kill(pid, 0) != 0 && errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }

    func url(_ relativePath: String, in area: Area) -> URL {
        (area == .publicSite ? publicStaging : paidStaging).appendingPathComponent(relativePath)
    }

    func write(_ data: Data, to relativePath: String, in area: Area) throws {
        let target = url(relativePath, in: area)
        do {
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: target.path, contents: data) else {
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            throw LecternError(.output, file: target.path, "cannot write output (\(error.localizedDescription))")
        }
    }

    func write(_ text: String, to relativePath: String, in area: Area) throws {
        try write(Data(text.utf8), to: relativePath, in: area)
    }

    /// Copies a file or folder tree into the staging area.
    func copy(_ source: URL, to relativePath: String, in area: Area) throws {
        let target = url(relativePath, in: area)
        do {
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.copyItem(at: source, to: target)
        } catch {
            throw LecternError(.output, file: source.path, "cannot copy into the site (\(error.localizedDescription))")
        }
    }

    /// Swaps the staged folders in: the paid bundle first, so no published page links to a paid page
    /// that is not there yet.
    func commit() throws {
        if lectern_sync_file_system(paidStaging.path) != 0 || lectern_sync_file_system(publicStaging.path) != 0 {
            throw LecternError(
                .output, file: publicStaging.path, "cannot flush the new output to disk (errno \(errno))")
        }
        for (staging, final) in [(paidStaging, paidFinal), (publicStaging, publicFinal)] {
            try swap(staging, into: final)
        }
        committed = true
    }

    func discard() {
        for dir in [publicStaging, paidStaging] { try? FileManager.default.removeItem(at: dir) }
    }

    private func swap(_ staging: URL, into final: URL) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: final.path) {
            if lectern_exchange_paths(staging.path, final.path) == 0 {
                try? fm.removeItem(at: staging)  // now holds the previous output
                return
            }
            // File systems without RENAME_EXCHANGE: two renames, a short window without the folder.
            let old = staging.appendingPathExtension("old")
            do {
                try fm.moveItem(at: final, to: old)
                try fm.moveItem(at: staging, to: final)
                try? fm.removeItem(at: old)
            } catch {
                throw LecternError(
                    .output, file: final.path, "cannot replace the output folder (\(error.localizedDescription))")
            }
        } else {
            do {
                try fm.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.moveItem(at: staging, to: final)
            } catch {
                throw LecternError(
                    .output, file: final.path, "cannot move the new output in place (\(error.localizedDescription))")
            }
        }
    }
}
