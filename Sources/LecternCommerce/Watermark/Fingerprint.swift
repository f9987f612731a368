import Crypto
import Foundation

/// The invisible part of a watermark: a 64-bit mark that names a grant, sealed with a secret.
///
/// mark = sealed(grant id, 32 bits) ‖ tag(32 bits), where `sealed` is a keyed permutation (a 4-round
/// Feistel network whose round function is HMAC-SHA256) and `tag` is HMAC-SHA256 over the sealed id,
/// truncated. So the mark is not the raw id, cannot be made for another buyer without the secret,
/// and decoding needs no per-buyer table.
///
/// False names: a random or damaged mark passes the tag check with probability 2^-32 (≈ 2.3e-10).
/// `LeakTracer` tests one candidate mark per trace, so the chance that a trace names a buyer for text
/// that does not carry that buyer's mark is at most 2.3e-10, well under the 1e-6 the product promises.
public struct Fingerprint: Sendable {
    private let sealKey: SymmetricKey
    private let tagKey: SymmetricKey

    public init(secret: SymmetricKey) {
        // Separate keys for the permutation and the tag, derived from the one secret.
        sealKey = SymmetricKey(
            data: HMAC<SHA256>.authenticationCode(for: Data("lectern fingerprint seal v1".utf8), using: secret))
        tagKey = SymmetricKey(
            data: HMAC<SHA256>.authenticationCode(for: Data("lectern fingerprint tag v1".utf8), using: secret))
    }

    /// The 64-bit mark for a grant id.
    public func mark(grant: UInt32) -> UInt64 {
        let sealed = permute(grant, forward: true)
        return UInt64(sealed) << 32 | UInt64(tag(sealed))
    }

    /// The grant id inside a mark, or nil when its tag does not verify (damaged, random or not ours).
    public func open(_ mark: UInt64) -> UInt32? {
        let sealed = UInt32(truncatingIfNeeded: mark >> 32)
        let expected = tag(sealed)
        // Constant-time comparison of the tag.
        guard (UInt32(truncatingIfNeeded: mark) ^ expected) == 0 else { return nil }
        return permute(sealed, forward: false)
    }

    private func tag(_ sealed: UInt32) -> UInt32 {
        let code = HMAC<SHA256>.authenticationCode(for: bigEndian(sealed), using: tagKey)
        return code.withUnsafeBytes { bytes in bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }
    }

    /// Balanced Feistel network on two 16-bit halves; invertible whatever the round function is.
    private func permute(_ value: UInt32, forward: Bool) -> UInt32 {
        var left = UInt16(truncatingIfNeeded: value >> 16)
        var right = UInt16(truncatingIfNeeded: value)
        let rounds: [UInt8] = forward ? [0, 1, 2, 3] : [3, 2, 1, 0]
        for round in rounds {
            if forward {
                (left, right) = (right, left ^ roundFunction(round, right))
            } else {
                (left, right) = (right ^ roundFunction(round, left), left)
            }
        }
        return UInt32(left) << 16 | UInt32(right)
    }

    private func roundFunction(_ round: UInt8, _ half: UInt16) -> UInt16 {
        let input = Data([round, UInt8(half >> 8), UInt8(half & 0xFF)])
        let code = HMAC<SHA256>.authenticationCode(for: input, using: sealKey)
        return code.withUnsafeBytes { UInt16($0[0]) << 8 | UInt16($0[1]) }
    }

    private func bigEndian(_ value: UInt32) -> Data {
        Data([UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }
}
