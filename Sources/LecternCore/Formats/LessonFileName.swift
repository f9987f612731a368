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

    /// Lower-case letters, digits and single hyphens: what fits in a URL without escaping.
    package static func isValidSlug(_ slug: String) -> Bool {
        guard let first = slug.first, let last = slug.last, first != "-", last != "-" else { return false }
        return slug.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" } && !slug.contains("--")
    }
}
