import Crypto
import Foundation
import LecternCore

/// Who may read `/metrics` (sales counts, outbox depth: business data). Off unless the operator sets
/// `LECTERN_METRICS_TOKEN`; then a scraper sends `Authorization: Bearer <token>`. The socket address
/// alone is not enough: any proxy on the same host makes every request look local.
public struct MetricsAccess: Sendable {
    public static let environmentVariable = "LECTERN_METRICS_TOKEN"
    public static let minimumLength = 32

    private let digest: SHA256.Digest?

    /// - Throws: a config error for a token too short to resist guessing.
    public init(environment: [String: String]) throws {
        guard let token = environment[Self.environmentVariable], !token.isEmpty else {
            digest = nil
            return
        }
        guard token.utf8.count >= Self.minimumLength else {
            throw LecternError(
                .config, "\(Self.environmentVariable) is shorter than \(Self.minimumLength) characters",
                hint: "use a long random value, e.g. `openssl rand -hex 32`")
        }
        digest = SHA256.hash(data: Data(token.utf8))
    }

    public var isEnabled: Bool { digest != nil }

    /// Compares digests, so the time taken says nothing about how much of a guess was right.
    public func allows(authorization: String?) -> Bool {
        guard let digest, let authorization, authorization.utf8.count <= 1_024, authorization.hasPrefix("Bearer ")
        else {
            return false
        }
        let offered = SHA256.hash(data: Data(authorization.dropFirst(7).utf8))
        return offered.withUnsafeBytes { offeredBytes in
            digest.withUnsafeBytes { expectedBytes in
                zip(offeredBytes, expectedBytes).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
            }
        }
    }
}
