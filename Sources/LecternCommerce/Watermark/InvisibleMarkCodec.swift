import LecternCore

/// Writes a 64-bit mark into text as runs of invisible characters, and reads it back from any excerpt long
/// enough to hold each part at least once.
///
/// The mark is cut into 16 nibbles. Word gap number i carries chunk (i mod 16) twice, in two channels that a
/// cleaner removes separately, so that a copy which lost one still names its buyer:
///
/// - **Format characters** (category Cf): four of them, two for the chunk's index and two for its nibble, from
///   a 4-letter alphabet of default-ignorable, non-joining code points of line-break class AL: they change
///   neither the shaping of joined scripts nor where a line may break — glued to the word after a space, and
///   between two ideographs (`InsertionPoints`) leaving the break opportunity before the run.
///   (ZERO WIDTH SPACE was tried first: it adds break opportunities, and headless Chromium laid a table out
///   differently with it; ZWJ/ZWNJ would alter Arabic or Indic shaping. WORD JOINER, used until Chinese text
///   was marked, forbids a break on both sides, so between two ideographs it moved line breaks in Chromium at
///   every width tried; it is still read, so copies served before stay traceable.) This channel survives a PDF
///   (Chromium's print and `pdftotext -raw` keep it), but one line of a text cleaner deletes every Cf.
/// - **Combining characters** (category Mn), which survive deleting Cf, NFKC and white space collapsed:
///   COMBINING GRAPHEME JOINER, then two variation selectors (VS1–VS16, 4 bits each: index, nibble). All three
///   are default-ignorable and draw nothing (identical pixels in Chromium, `BrowserWatermarkTests`). The joiner
///   comes first so that the selectors never follow a letter or an ideograph they could pick a glyph variant of
///   (Unicode defines such sequences for some ideographs and digits); after the joiner they select nothing, and
///   it frames the run, so an emoji's own selector is never read as the mark. The joiner is of line-break class
///   GL (glue), so it comes after the format run: the break opportunity before the whole run (after a space,
///   or between two ideographs: ID ÷ AL) is where the line could break before, and nothing after it moves.
///   Deleting every default-ignorable character removes this channel too (see `docs/protection.md`).
///
/// Chromium's `innerText` keeps both, so copy-paste keeps the mark, and find-in-page still matches the words.
/// The visible text between gaps frames each chunk, so a run that lost or gained a character has the wrong
/// length and is ignored. (A run whose characters were reordered would be misread; `pdftotext -raw` keeps them
/// in order, and the majority over every copy in the excerpt outvotes a stray one.) White space does not frame:
/// a PDF's text has a line per invisible character. Each index is decided by a majority vote over every copy
/// in the excerpt, in either channel.
public enum InvisibleMarkCodec {
    /// INVISIBLE PLUS, FUNCTION APPLICATION, INVISIBLE TIMES, INVISIBLE SEPARATOR.
    static let alphabet: [Unicode.Scalar] = ["\u{2064}", "\u{2061}", "\u{2062}", "\u{2063}"]
    static let formatScalars = MarkCharacters.format
    static let combiningLead = MarkCharacters.combiningLead
    static let selectors = MarkCharacters.selectors
    public static let chunkCount = 16
    static let symbolsPerChunk = 4
    static let selectorsPerChunk = 2

    /// The 16 chunk strings for a mark (both channels); chunk i goes into word gaps i, i+16, i+32, …
    public static func chunks(for mark: UInt64) -> [String] {
        (0..<chunkCount).map { index in
            let nibble = nibble(of: mark, at: index)
            var chunk = ""
            chunk.unicodeScalars.append(
                contentsOf: [index >> 2, index & 3, nibble >> 2, nibble & 3].map { alphabet[$0] })
            chunk.unicodeScalars.append(combiningLead)
            chunk.unicodeScalars.append(contentsOf: [index, nibble].compactMap { selector($0) })
            return chunk
        }
    }

    /// Whether a scalar is one the mark is written with (either channel). A variation selector is also an
    /// emoji's or an ideograph's own; `removingMark` tells them apart.
    public static func isMarkScalar(_ scalar: Unicode.Scalar) -> Bool { MarkCharacters.contains(scalar) }

    /// `text` without the mark: the format channel's characters, and each combining run (the joiner and the
    /// selectors after it); a selector outside a run (❤️'s) stays. What a reader sees and reads.
    public static func removingMark(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var inRun = false
        for scalar in text.unicodeScalars {
            if formatScalars.contains(scalar.value) { continue }
            if scalar == combiningLead {
                inRun = true
                continue
            }
            if inRun, selectors.contains(scalar.value) { continue }
            // As `read` does, white space inside a run (a PDF's line breaks) keeps it open.
            inRun = inRun && scalar.properties.isWhitespace
            result.append(scalar)
        }
        return String(result)
    }

    static func selector(_ value: Int) -> Unicode.Scalar? { Unicode.Scalar(selectors.lowerBound + UInt32(value)) }

    /// The part of `mark` that chunk `index` carries (most significant first).
    static func nibble(of mark: UInt64, at index: Int) -> Int {
        Int(mark >> (60 - 4 * UInt64(index)) & 0xF)
    }

    /// Votes found in a text: for each chunk index, how often each nibble value was seen.
    public struct Reading: Sendable {
        public var votes: [[Int]] = Array(repeating: Array(repeating: 0, count: 16), count: chunkCount)
        /// Runs of invisible characters of the wrong length (damage).
        public var damagedRuns = 0
        /// Chunks read from each channel (format characters, combining characters).
        public var formatChunks = 0
        public var combiningChunks = 0
        /// Format-channel characters met, in runs whole or damaged: none left means a cleaner deleted them.
        public var formatCharacters = 0

        public var chunksSeen: Int { votes.reduce(0) { $0 + $1.reduce(0, +) } }
        public var indicesCovered: Int { votes.filter { $0.contains { $0 > 0 } }.count }
        /// How many different values were seen at each index (one copy: 1 everywhere).
        public var valuesSeen: [Int] { votes.map { counts in counts.filter { $0 > 0 }.count } }

        /// The majority mark, when every index has at least one vote.
        public var mark: UInt64? {
            guard indicesCovered == chunkCount else { return nil }
            return votes.reduce(UInt64(0)) { mark, counts in
                let best = counts.indices.max { counts[$0] < counts[$1] } ?? 0
                return mark << 4 | UInt64(best)
            }
        }

        /// Share of votes that agree with the majority, over all indices (1.0 = no disagreement).
        public var agreement: Double {
            let total = chunksSeen
            guard total > 0 else { return 0 }
            return Double(votes.reduce(0) { $0 + ($1.max() ?? 0) }) / Double(total)
        }
    }

    public static func read(_ text: String) -> Reading {
        var reading = Reading()
        var format: [Int] = []
        // nil: no combining run open; otherwise the selectors read since its joiner.
        var combining: [Int]?
        func closeFormat() {
            if format.count == symbolsPerChunk {
                reading.votes[format[0] << 2 | format[1]][format[2] << 2 | format[3]] += 1
                reading.formatChunks += 1
            } else if !format.isEmpty {
                reading.damagedRuns += 1
            }
            format.removeAll(keepingCapacity: true)
        }
        func closeCombining() {
            guard let run = combining else { return }
            if run.count == selectorsPerChunk {
                reading.votes[run[0]][run[1]] += 1
                reading.combiningChunks += 1
            } else {
                reading.damagedRuns += 1
            }
            combining = nil
        }
        for scalar in text.unicodeScalars {
            if let symbol = symbol(scalar) {
                closeCombining()
                format.append(symbol)
                reading.formatCharacters += 1
            } else if scalar == combiningLead {
                closeFormat()
                closeCombining()
                combining = []
            } else if selectors.contains(scalar.value), combining != nil {
                combining?.append(Int(scalar.value - selectors.lowerBound))
            } else if !scalar.properties.isWhitespace || (format.isEmpty && combining == nil) {
                closeFormat()
                closeCombining()
            }
            // White space inside a run is skipped: `pdftotext -raw` gives each zero-width character of a PDF
            // on its own line (and its default mode drops repeats drawn at one spot), and a reflowed or
            // re-wrapped copy may put a line break where a run was. A selector outside a run (an emoji's, say)
            // is an ordinary character here.
        }
        closeFormat()
        closeCombining()
        return reading
    }

    private static func symbol(_ scalar: Unicode.Scalar) -> Int? {
        switch scalar.value {
        case 0x2064: return 0
        case 0x2061, 0x2060: return 1  // WORD JOINER: the symbol's old form, in copies served before
        case 0x2062: return 2
        case 0x2063: return 3
        default: return nil
        }
    }
}
