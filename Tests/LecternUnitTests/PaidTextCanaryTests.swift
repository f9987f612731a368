import Foundation
import LecternTestSupport
import Testing

/// Paid text must never reach public/: not in pages, feed, sitemap, meta descriptions or comments.
/// Plants a unique canary in every place a paid lesson can hold text and scans every public byte.
@Suite struct PaidTextCanaryTests {
    @Test func canaryInPaidLessonsNeverAppearsUnderPublic() throws {
        let canary = "CANARY-\(UUID().uuidString)"
        let site = try TempSite(withExampleContent: true)
        try site.write(
            "content/practical-sqlite/02-in-production/08-secret.md",
            """
            ---
            title: Secret techniques
            ---
            \(canary) opens the lesson, so it would be the meta description of a public page.

            ## \(canary) heading

            | a | b |
            |---|---|
            | \(canary) | cell |

            Footnote here.[^1] ![\(canary) alt](../images/file-layout.svg "\(canary) title")

            ```
            \(canary) in code
            ```

            [^1]: \(canary) in a footnote.
            """)
        try site.build()
        let publicFiles = site.files(under: "public")
        #expect(publicFiles.count > 8)
        for (path, bytes) in publicFiles {
            #expect(bytes.range(of: Data(canary.utf8)) == nil, "paid text leaked into public/\(path)")
        }
        // The canary must be in the paid bundle, or this test could not fail.
        let paid = site.files(under: "paid").filter { $0.1.range(of: Data(canary.utf8)) != nil }.map(\.0)
        #expect(paid.contains("practical-sqlite/secret.page"))
        // The title of a paid lesson is public on purpose (the syllabus sells the course).
        #expect(try site.read("public/courses/practical-sqlite/index.html").contains("Secret techniques"))
    }
}
