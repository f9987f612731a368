import LecternCore

/// Refuses a lesson whose source holds the invisible fingerprint's own characters (`MarkCharacters`): text
/// pasted from a buyer's copy of a lesson (a typo fixed from the live page, a paragraph moved) carries that
/// buyer's mark, which would then be in every other buyer's copy too, and a trace of a leak could name them
/// beside the leaker.
enum PastedMark {
    static func check(_ body: String, firstLine: Int, file: String) throws {
        var body = body
        guard let offset = body.withUTF8(firstMark) else { return }
        let line = firstLine + body.utf8.prefix(offset).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        throw LecternError(
            .content, file: file, line: line,
            "this lesson holds the invisible characters of a buyer's fingerprint (pasted from a served copy?)",
            hint: "every buyer's copy would carry that buyer's mark; delete them (the joiner with the variation "
                + "selectors after it), for example with `perl -CSD -pi -e "
                + "'s/\\x{34F}[\\x{FE00}-\\x{FE0F}]*//g; s/[\\x{2061}-\\x{2064}]//g' '\(file)'`, or retype the passage")
    }

    /// The byte offset of the first U+2061–U+2064 (E2 81 A1…A4 in UTF-8) or U+034F (CD 8F). One tight pass over
    /// the bytes, keyed on their second byte: every lesson of every build goes through it.
    private static func firstMark(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for index in 1..<bytes.count {
            switch bytes[index] {
            case 0x81:
                if bytes[index - 1] == 0xE2, index + 1 < bytes.count, (0xA1...0xA4).contains(bytes[index + 1]) {
                    return index - 1
                }
            case 0x8F:
                if bytes[index - 1] == 0xCD { return index - 1 }
            default: continue
            }
        }
        return nil
    }
}
