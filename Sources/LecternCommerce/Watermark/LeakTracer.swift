/// `lectern trace`: finds the fingerprint in leaked text (or HTML) and says whose it is — or plainly
/// that there is none. It names a grant only when the majority mark's keyed tag verifies, so text
/// without a mark, or with one too damaged to read, never produces a name (see `Fingerprint`).
///
/// With the grants on record (`candidates`), it also names copies mixed from several buyers': a buyer is
/// named when every one of the 16 parts of their mark is present in the excerpt. An innocent buyer's mark
/// is a keyed pseudo-random function of the grant, unknown to whoever mixed the copies, so each of its parts
/// matches one of the values seen at that part with probability (values seen there) / 16; the chance that
/// any innocent buyer is named is at most candidates × Π (values seen at part i / 16). A name is given only
/// when that bound is at most `maximumFalseAccusation` (10⁻⁶). Two copies mixed leave at most two values at
/// each part: 10⁶ buyers × (2/16)¹⁶ ≈ 3.6·10⁻⁹.
public struct LeakTracer: Sendable {
    public static let maximumFalseAccusation = 1e-6

    public enum Result: Equatable, Sendable {
        /// No invisible characters at all.
        case noFingerprint
        /// Some chunks, but not every part of the mark: the excerpt is too short or too damaged.
        case incomplete(chunks: Int, covered: Int)
        /// A full mark whose tag does not verify: damaged, mixed from several copies, or not ours.
        case unverified(chunks: Int)
        case traced(grant: UInt32, chunks: Int, agreement: Double)
        /// Copies of several buyers mixed: each named grant's whole mark is in the excerpt; `falseAccusation`
        /// bounds the chance that any buyer on record who did not contribute would have been named too.
        case mixed(grants: [UInt32], chunks: Int, falseAccusation: Double)
    }

    private let fingerprint: Fingerprint

    public init(fingerprint: Fingerprint) { self.fingerprint = fingerprint }

    /// Traces `text`; `candidates` (the grants on record, when known) lets it name mixed copies.
    public func trace(_ text: String, candidates: [UInt32] = []) -> Result {
        let reading = InvisibleMarkCodec.read(text)
        guard reading.chunksSeen > 0 else { return .noFingerprint }
        guard let mark = reading.mark else {
            return .incomplete(chunks: reading.chunksSeen, covered: reading.indicesCovered)
        }
        let majority = fingerprint.open(mark)
        // One value at every part is one copy: the majority is all there is, and no buyer needs checking.
        let unanimous = reading.valuesSeen.allSatisfy { $0 == 1 }
        if !candidates.isEmpty, !unanimous, let named = present(in: reading, among: candidates),
            !named.grants.isEmpty,
            named.grants != majority.map({ [$0] })
        {
            return .mixed(grants: named.grants, chunks: reading.chunksSeen, falseAccusation: named.bound)
        }
        guard let majority else { return .unverified(chunks: reading.chunksSeen) }
        return .traced(grant: majority, chunks: reading.chunksSeen, agreement: reading.agreement)
    }

    /// The candidates whose every part is present, when naming them is safe (bound ≤ 10⁻⁶); nil otherwise.
    func present(
        in reading: InvisibleMarkCodec.Reading, among candidates: [UInt32]
    ) -> (
        grants: [UInt32], bound: Double
    )? {
        let perCandidate = reading.valuesSeen.reduce(1.0) { $0 * Double($1) / 16 }
        let bound = Double(candidates.count) * perCandidate
        guard bound <= Self.maximumFalseAccusation else { return nil }
        let grants = candidates.filter { grant in
            let mark = fingerprint.mark(grant: grant)
            return (0..<InvisibleMarkCodec.chunkCount).allSatisfy { index in
                reading.votes[index][InvisibleMarkCodec.nibble(of: mark, at: index)] > 0
            }
        }
        return (grants.sorted(), bound)
    }
}
