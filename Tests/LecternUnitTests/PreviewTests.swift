import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild

/// `lectern serve`'s incremental rebuild: after each kind of edit, the pages in memory equal a fresh
/// full build's, and only the pages the edit touches were rendered.
@Suite(.serialized) struct PreviewTests {
    let schema = "content/practical-sqlite/01-foundations/03-schema-design.md"

    func expectSameAsFullBuild(
        _ preview: PreviewSite, _ site: TempSite, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let fresh = try PreviewSite(root: site.root)
        #expect(preview.pagePaths == fresh.pagePaths, sourceLocation: sourceLocation)
        for path in fresh.pagePaths {
            let same = preview.resource(at: path)?.bytes == fresh.resource(at: path)?.bytes
            if !same, let a = preview.resource(at: path), let b = fresh.resource(at: path) {
                try? Data(a.bytes).write(to: URL(fileURLWithPath: "/tmp/preview-incremental.html"))
                try? Data(b.bytes).write(to: URL(fileURLWithPath: "/tmp/preview-full.html"))
            }
            #expect(same, "\(path) differs from a full build", sourceLocation: sourceLocation)
        }
    }

    /// Rewrites a file so its size and inode change (editors save by replacing).
    func edit(_ site: TempSite, _ path: String, _ change: (String) -> String) throws {
        try site.write(path, change(try site.read(path)))
    }

    @Test func bodyEditRendersOnePage() throws {
        let site = try TempSite(withExampleContent: true)
        let preview = try PreviewSite(root: site.root)
        #expect(preview.refresh().rendered == 0)
        try edit(site, schema) { $0 + "\nA new closing paragraph.\n" }
        let refresh = preview.refresh()
        #expect(refresh.rendered == 1 && !refresh.full)
        let page = String(
            decoding: try #require(preview.resource(at: "/learn/practical-sqlite/schema-design/")).bytes, as: UTF8.self)
        #expect(
            page.contains("A new closing paragraph.")
                && page.contains(PreviewSite.previewStamp.replacingOccurrences(of: "—", with: "—")))
        try expectSameAsFullBuild(preview, site)
    }

    @Test func titleEditRendersItsCourseAndCatalog() throws {
        let site = try TempSite(withExampleContent: true)
        let preview = try PreviewSite(root: site.root)
        try edit(site, schema) {
            $0.replacingOccurrences(of: "title: Designing a schema that lasts", with: "title: Schemas that last")
        }
        let refresh = preview.refresh()
        #expect(refresh.rendered > 1 && !refresh.full)
        // Every lesson's syllabus shows the new title.
        let other = String(
            decoding: try #require(preview.resource(at: "/courses/practical-sqlite/why-sqlite/")).bytes, as: UTF8.self)
        #expect(other.contains("Schemas that last"))
        try expectSameAsFullBuild(preview, site)
    }

    @Test func renameDeleteAndTemplateEditsRebuildFully() throws {
        let site = try TempSite(withExampleContent: true)
        let preview = try PreviewSite(root: site.root)
        // Rename (nothing links to the last lesson): the old URL disappears, the new one appears.
        let backups = "content/practical-sqlite/02-in-production/07-backups.md"
        try FileManager.default.moveItem(
            at: site.root.appendingPathComponent(backups),
            to: site.root.appendingPathComponent("content/practical-sqlite/02-in-production/07-live-backups.md"))
        #expect(preview.refresh().full)
        #expect(
            preview.resource(at: "/learn/practical-sqlite/backups/") == nil
                && preview.resource(at: "/learn/practical-sqlite/live-backups/") != nil)
        try expectSameAsFullBuild(preview, site)
        // Delete.
        try FileManager.default.removeItem(
            at: site.root.appendingPathComponent("content/practical-sqlite/02-in-production/07-live-backups.md"))
        #expect(preview.refresh().full && preview.resource(at: "/learn/practical-sqlite/live-backups/") == nil)
        try expectSameAsFullBuild(preview, site)
        // Renaming a lesson other pages link to is a content error, shown until fixed.
        try FileManager.default.moveItem(
            at: site.root.appendingPathComponent(schema),
            to: site.root.appendingPathComponent("content/practical-sqlite/01-foundations/03-schemas.md"))
        preview.refresh()
        #expect(
            preview.error?.code == .brokenLink
                && preview.error?.file == "content/practical-sqlite/01-foundations/02-first-database.md")
        try FileManager.default.moveItem(
            at: site.root.appendingPathComponent("content/practical-sqlite/01-foundations/03-schemas.md"),
            to: site.root.appendingPathComponent(schema))
        preview.refresh()
        #expect(preview.error == nil)
        // Template.
        try edit(site, "site-template/partials/footer.mustache") { "<p>Footer marker 42</p>\n" + $0 }
        #expect(preview.refresh().full)
        #expect(
            String(decoding: try #require(preview.resource(at: "/")).bytes, as: UTF8.self).contains("Footer marker 42"))
        try expectSameAsFullBuild(preview, site)
    }

    @Test func aContentErrorKeepsTheLastGoodPagesUntilFixed() throws {
        let site = try TempSite(withExampleContent: true)
        let preview = try PreviewSite(root: site.root)
        let before = try #require(preview.resource(at: "/learn/practical-sqlite/schema-design/")).bytes
        let good = try site.read(schema)
        try site.write(
            schema, good.replacingOccurrences(of: "title: Designing a schema that lasts", with: "title: [unclosed"))
        preview.refresh()
        #expect(preview.error?.file == schema && preview.error?.line != nil)
        #expect(preview.resource(at: "/learn/practical-sqlite/schema-design/")?.bytes == before)
        try site.write(schema, good + "\nFixed.\n")
        preview.refresh()
        #expect(preview.error == nil)
        try expectSameAsFullBuild(preview, site)
    }
}
