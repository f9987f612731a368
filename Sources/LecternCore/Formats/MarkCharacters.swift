/// The characters the invisible fingerprint is written with (`InvisibleMarkCodec` in LecternCommerce writes and
/// reads them). The builder knows them too: a lesson's source holding them was pasted from a buyer's copy, and
/// would put that buyer's mark into every other buyer's copy (`PastedMark`).
public enum MarkCharacters {
    /// The format channel's letters (U+2061–U+2064), and U+2060 WORD JOINER, its second letter's old form.
    public static let format: ClosedRange<UInt32> = 0x2060...0x2064
    /// COMBINING GRAPHEME JOINER: starts a run of the combining channel.
    public static let combiningLead: Unicode.Scalar = "\u{034F}"
    /// VARIATION SELECTOR-1 … -16: the combining channel's letters (also an emoji's or an ideograph's own).
    public static let selectors: ClosedRange<UInt32> = 0xFE00...0xFE0F

    /// Whether `scalar` is one the mark is written with, in either channel.
    public static func contains(_ scalar: Unicode.Scalar) -> Bool {
        format.contains(scalar.value) || scalar == combiningLead || selectors.contains(scalar.value)
    }
}
