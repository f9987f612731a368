import Foundation
import LecternCommerce
import LecternCore

/// A buyer's copy put through a text cleaner before it leaks: every format character (category Cf) deleted,
/// NFKC, white space collapsed to single spaces. That removes the mark's format-character channel whole; what
/// traces is the combining channel (`InvisibleMarkCodec`).
extension TraceExperiment {
    /// Traces `excerpts` cleaned excerpts of `length` words or characters (a lesson shorter than that whole).
    public func runCleaned(length: Int, unit: Unit, excerpts: Int) -> Outcome {
        trace(length: length, unit: unit, excerpts: excerpts, seedOffset: 7) { text, rng in
            Self.cleanedExcerpt(of: Self.cleaned(text), length: length, unit: unit, rng: &rng)
        }
    }

    /// What a text cleaner leaves: format characters (Cf) deleted, NFKC, runs of white space as one space.
    public static func cleaned(_ text: String) -> String {
        let kept = String(
            String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.generalCategory != .format }))
        var result = String.UnicodeScalarView()
        var space = false
        for scalar in kept.precomposedStringWithCompatibilityMapping.unicodeScalars {
            if scalar.properties.isWhitespace {
                space = !result.isEmpty
                continue
            }
            if space { result.append(" ") }
            space = false
            result.append(scalar)
        }
        return String(result)
    }

    /// `length` consecutive words (split at spaces, as a cleaned text is) or visible characters of a cleaned
    /// text. Works on scalars: after cleaning, a combining run follows a space directly, and Swift's `Character`
    /// would count the space and the run as one white-space character and drop the run with it.
    static func cleanedExcerpt(of text: String, length: Int, unit: Unit, rng: inout SplitMix64) -> String {
        let scalars = Array(text.unicodeScalars)
        // Indices of the scalars an excerpt is counted in: a word's first scalar, or a visible character.
        let counted: [Int] =
            switch unit {
            case .words:
                scalars.indices.filter { index in
                    scalars[index] != " " && (index == 0 || scalars[index - 1] == " ")
                }
            case .characters:
                scalars.indices.filter { scalars[$0] != " " && !InvisibleMarkCodec.isMarkScalar(scalars[$0]) }
            }
        let count = min(length, counted.count)
        guard count > 0 else { return "" }
        let first = counted.count > count ? Int(rng.next() % UInt64(counted.count - count + 1)) : 0
        let end: Int
        switch unit {
        case .words: end = first + count < counted.count ? counted[first + count] - 1 : scalars.count
        case .characters: end = first + count < counted.count ? counted[first + count] : scalars.count
        }
        var excerpt = String.UnicodeScalarView()
        excerpt.append(contentsOf: scalars[counted[first]..<end])
        return String(excerpt)
    }
}
