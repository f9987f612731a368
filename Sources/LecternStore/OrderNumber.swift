/// Lectern's own order number ("K7QD-M2XF"): what a buyer sees in the stamp of every paid page and
/// what the creator finds in `lectern orders`. Random, not sequential (it tells no one how many
/// orders a shop has) and never a provider's id (a Stripe Checkout session id opens the
/// post-checkout claim, so printing it on every page would hand out a credential).
enum OrderNumber {
    /// Crockford's base-32 digits: no I, L, O or U, so a number read aloud or retyped stays right.
    private static let digits = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// 40 random bits, 5 per digit (32 digits: no modulo bias), from one draw of the system generator.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bits = generator.next() as UInt64
        let characters = (0..<8).map { digits[Int((bits >> (5 * UInt64($0))) & 31)] }
        return String(characters[0..<4]) + "-" + String(characters[4..<8])
    }
}
