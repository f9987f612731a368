/// `lectern trace`: finds the fingerprint in leaked text (or HTML) and says whose it is — or plainly
/// that there is none. It names a grant only when the majority mark's keyed tag verifies, so text
/// without a mark, or with one too damaged to read, never produces a name (see `Fingerprint`).
public struct LeakTracer: Sendable {
    public enum Result: Equatable, Sendable {
        /// No invisible characters at all.
        case noFingerprint
        /// Some chunks, but not every part of the mark: the excerpt is too short or too damaged.
        case incomplete(chunks: Int, covered: Int)
        /// A full mark whose tag does not verify: damaged, mixed from several copies, or not ours.
        case unverified(chunks: Int)
        case traced(grant: UInt32, chunks: Int, agreement: Double)
    }

    private let fingerprint: Fingerprint

    public init(fingerprint: Fingerprint) { self.fingerprint = fingerprint }

    public func trace(_ text: String) -> Result {
        let reading = InvisibleMarkCodec.read(text)
        guard reading.chunksSeen > 0 else { return .noFingerprint }
        guard let mark = reading.mark else {
            return .incomplete(chunks: reading.chunksSeen, covered: reading.indicesCovered)
        }
        guard let grant = fingerprint.open(mark) else { return .unverified(chunks: reading.chunksSeen) }
        return .traced(grant: grant, chunks: reading.chunksSeen, agreement: reading.agreement)
    }
}
