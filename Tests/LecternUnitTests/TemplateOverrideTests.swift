import Foundation
import LecternTestSupport
import Testing

/// A creator changes the look by editing site-template/; the build must use their files.
@Suite struct TemplateOverrideTests {
    @Test func editedLayoutPartialAndStaticFileAreUsed() throws {
        let site = try TempSite(withExampleContent: true)
        try site.write(
            "site-template/partials/footer.mustache",
            "<footer>Custom footer for {{site.title}}</footer></body></html>\n")
        try site.write(
            "site-template/layouts/lesson.mustache",
            "{{> head}}<body><main class=\"my-lesson\"><h1>{{lesson.title}}</h1>{{{content}}}</main>{{> footer}}\n")
        try site.write("site-template/static/extra/brand.css", "body { color: rebeccapurple; }\n")
        try site.build()
        let lesson = try site.read("public/courses/practical-sqlite/why-sqlite/index.html")
        #expect(lesson.contains("<main class=\"my-lesson\"><h1>Why SQLite</h1>"))
        #expect(lesson.contains("<footer>Custom footer for Lectern Example School</footer>"))
        #expect(try site.read("public/extra/brand.css").contains("rebeccapurple"))
        #expect(try site.read("public/index.html").contains("Custom footer"), "the partial is shared by every layout")
    }

    @Test func templateValuesAreHTMLEscaped() throws {
        let site = try TempSite()
        try site.write("lectern.toml", minimalConfig)
        try site.write("content/c/_index.md", courseIndex(title: "<script>alert(1)</script>"))
        try site.write("content/c/01-a.md", lesson("Fish & <b>chips</b>", free: true, body: "Body."))
        try site.build()
        let page = try site.read("public/courses/c/a/index.html")
        #expect(page.contains("Fish &amp; &lt;b&gt;chips&lt;/b&gt;"))
        #expect(!page.contains("<script>alert(1)</script>"))
    }

    @Test func missingLayoutIsNamed() throws {
        let site = try TempSite()
        try site.write("lectern.toml", minimalConfig)
        try site.write("content/c/_index.md", courseIndex())
        try FileManager.default.removeItem(at: site.root.appendingPathComponent("site-template/layouts/404.mustache"))
        let error = lecternError { try site.build() }
        #expect(error?.file == "site-template/layouts/404.mustache" && error?.message == "layout is missing")
    }
}
