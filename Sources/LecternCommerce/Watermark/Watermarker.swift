import Foundation
import LecternCore

/// Produces one buyer's copy of a paid page: the visible licence stamp in the layout's slot and the
/// invisible mark in the lesson text. Serving is splicing into offsets prepared at build time.
public struct Watermarker: Sendable {
    private let fingerprint: Fingerprint

    public init(fingerprint: Fingerprint) { self.fingerprint = fingerprint }

    /// The 16 chunks for a grant; the daemon caches them per grant.
    public func chunks(grant: UInt32) -> [String] {
        InvisibleMarkCodec.chunks(for: fingerprint.mark(grant: grant))
    }

    /// "Licensed to ada@example.com · order 1042", HTML-escaped for the stamp slot (the English wording;
    /// the daemon uses the site's, `ReaderWording`).
    public static func stamp(email: String, order: String) -> String {
        ReaderWording.english.stamp(email: email, order: order)
    }

    public func render(
        _ page: PaidPage, grant: UInt32, email: String, order: String, wording: ReaderWording = .english
    ) -> String {
        let chunks = chunks(grant: grant)
        return page.splice(stamp: wording.stamp(email: email, order: order)) {
            chunks[$0 % InvisibleMarkCodec.chunkCount]
        }
    }
}
