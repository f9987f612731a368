import ArgumentParser
import Foundation
import LecternCommerce
import LecternConfig
import LecternCore
import LecternPostgres
import LecternStore

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Find whose copy a leaked text or page is (exit 0 when traced, 1 otherwise).")

    @OptionGroup var site: SiteOptions
    @Argument(help: "The leaked copy: text, HTML, PDF or EPUB, or - for standard input.") var file: String

    func run() throws {
        let config = try SiteConfig.load(root: site.rootURL)
        let secret = try KeyStore(config: config).watermarkSecret()
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try readFile(file)
        let text = try LeakDocument.text(of: data, file: file == "-" ? nil : URL(fileURLWithPath: file))
        let database = Store.location(option: nil, default: config.databaseLocation)
        let queries =
            Store.exists(database)
            ? CreatorQueries(store: try Store.open(database)) : nil
        let candidates = try queries?.grantIDs().compactMap { UInt32(exactly: $0) } ?? []
        switch LeakTracer(fingerprint: Fingerprint(secret: secret)).trace(text, candidates: candidates) {
        case .traced(let grant, let chunks, let agreement):
            print("Traced: grant \(grant)")
            try printOwner(of: grant, queries)
            print(
                String(
                    format:
                        "Confidence: mark verified by its keyed tag (false match ≤ 2.3e-10)"
                        + "; %d chunks read, %.0f%% agreeing",
                    chunks, agreement * 100))
            printChannels(of: text)
        case .mixed(let grants, let chunks, let falseAccusation):
            print("Traced: a copy mixed from several buyers' copies; each named buyer's whole mark is in it")
            for grant in grants {
                print("Grant \(grant)")
                try printOwner(of: grant, queries)
            }
            print(
                String(
                    format: "Confidence: %d chunks read, checked against %d grants on record"
                        + "; chance that any other buyer would be named ≤ %.1e",
                    chunks, candidates.count, falseAccusation))
            printChannels(of: text)
        case .noFingerprint:
            print("No fingerprint found: this text carries no Lectern watermark (or it was stripped).")
            throw ExitCode.failure
        case .incomplete(let chunks, let covered):
            print(
                "No buyer named: only \(covered) of 16 parts of a fingerprint were found (\(chunks) chunks)"
                    + "; the excerpt is too short or damaged."
            )
            throw ExitCode.failure
        case .unverified(let chunks):
            print(
                "No buyer named: a fingerprint is present (\(chunks) chunks) but does not verify"
                    + " — damaged, mixed from several copies, or made with another secret."
            )
            throw ExitCode.failure
        }
    }

    /// Which of the mark's two channels the copy still had. Not one format-channel character left means a
    /// text cleaner deleted them, which a creator may want to know (damaged runs alone do not say that).
    private func printChannels(of text: String) {
        let reading = InvisibleMarkCodec.read(text)
        let cleaned =
            reading.formatCharacters == 0 ? " (no format characters left: the text went through a cleaner)" : ""
        print(
            "Channels: \(reading.formatChunks) chunks in format characters, \(reading.combiningChunks) in combining"
                + " characters\(cleaned)")
    }

    private func printOwner(of grant: UInt32, _ queries: CreatorQueries?) throws {
        guard let owner = try queries?.owner(ofGrant: Int64(grant)) else { return }
        print("Buyer: \(owner.email)")
        print(
            "Order: \(owner.order ?? "none (complimentary grant)")"
                + " · \(owner.product)\(owner.revoked ? " · access already revoked" : "")"
        )
    }

    private func readFile(_ path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LecternError(.trace, file: path, "cannot read (\(error.localizedDescription))")
        }
    }
}
