import Foundation
import LecternTestSupport
import Testing

@testable import LecternBuild
@testable import LecternStore

/// The front-matter fast path must give exactly what the full YAML parser gives, or step aside.
struct SimpleYAMLTests {
    static let cases = [
        "title: Why SQLite\nfree: true\nweight: 3",
        "title: \"Lesson 1: Intro\"\nprice: \"49.00\"\ncurrency: USD",
        "title: 'It is single'\ntags: [databases, sqlite, \"back end\"]\ndraft: false",
        "summary: Store your app's data — in one file.\ndate: 2026-10-01\nbuy_url: https://pay.example/x?y=1",
        "free: yes\nweight: -2\navailable_after_days: 07\ntitle: 42",
        "title: x  \n\n# a comment\nempty_list: []\nnumbers: [1, 2, three]",
        "title: ~\nother: null\nprice: 49.90",
    ]
    static let fallbacks = [
        "extra:\n  nested: 1", "tags:\n  - a\n  - b", "title: a # comment", "title: \"esc\\\"aped\"",
        "title: >\n  folded",
        "title: &anchor x\nother: *anchor", "title: a\ntitle: b", "title: [a, [b]]", "key:value", "title: a: b",
        "- item",
    ]

    @Test func fastPathMatchesYams() throws {
        var texts = Self.cases
        // Every front matter of the example course and the fixtures too.
        for folder in [repoRoot.appendingPathComponent("content"), fixturesRoot] {
            let walker = FileManager.default.enumerator(atPath: folder.path)
            while let path = walker?.nextObject() as? String {
                guard path.hasSuffix(".md"),
                    let text = try? String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8),
                    text.hasPrefix("---\n")
                else { continue }
                let rest = text.dropFirst(4)
                if let end = rest.range(of: "\n---") { texts.append(String(rest[..<end.lowerBound])) }
            }
        }
        #expect(texts.count > 30)
        var fast = 0
        for text in texts {
            guard let simple = SimpleYAML.read(text, file: "f.md", firstLine: 2) else { continue }
            fast += 1
            let full = try YAMLSettingsReader.read(text, file: "f.md", firstLine: 2)
            #expect(simple == full, "differs for:\n\(text)")
        }
        #expect(fast >= Self.cases.count, "the fast path should take the common cases")
        for text in Self.fallbacks {
            #expect(SimpleYAML.read(text, file: "f.md", firstLine: 2) == nil, "should fall back: \(text)")
        }
    }
}
