/// The naming rules for content files and folders: an optional numeric order prefix (`03-`), then a
/// URL-safe slug.
package struct LessonFileName {
    package var order: Int?
    package var slug: String

    /// Parses `03-first-steps.md` (or a folder name `02-basics`) into order 3 and slug `first-steps`.
    package init(_ name: String) {
        var base = Substring(name)
        if base.hasSuffix(".md") { base = base.dropLast(3) }
        let digits = base.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, base.dropFirst(digits.count).first == "-" {
            order = Int(digits)
            slug = String(base.dropFirst(digits.count + 1))
        } else {
            order = nil
            slug = String(base)
        }
    }

    /// Letters without case or in lower case (`getting-started`, `基础`, `入门-sql`), digits and single
    /// hyphens. Non-ASCII ones are percent-encoded in every URL (`SiteRoutes`) and kept as they are in
    /// file names on disk. At most 200 bytes: a file name holds 255.
    package static func isValidSlug(_ slug: String) -> Bool {
        guard let first = slug.first, let last = slug.last, first != "-", last != "-", slug.utf8.count <= 200 else {
            return false
        }
        return slug.allSatisfy { character in
            if character.isASCII { return character.isLowercase || character.isNumber || character == "-" }
            // One grapheme: a letter without case (ideographs, kana, hangul) or in lower case (é, ж), or a digit.
            return (character.isLetter && (!character.isCased || character.isLowercase)) || character.isNumber
        } && !slug.contains("--")
    }
}
