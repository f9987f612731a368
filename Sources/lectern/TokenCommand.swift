import ArgumentParser
import Foundation
import LecternBuild
import LecternCommerce
import LecternConfig
import LecternCore
import LecternStore

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue or check signed access links.",
        subcommands: [Issue.self, Verify.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a signed link to a course.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Opaque buyer or grant id (goes into the token's `sub`).") var buyer: String?
        @Option(help: "Buyer e-mail, looked up in the daemon's store.") var email: String?
        @Option(help: "Course slug or product id.") var course: String
        @Option(help: "Lifetime, e.g. 7d, 12h (default: [tokens] ttl).") var ttl: String?

        func validate() throws {
            guard (buyer == nil) != (email == nil) else {
                throw ValidationError("give exactly one of --buyer or --email")
            }
            if let ttl, Duration.parseSeconds(ttl) == nil {
                throw ValidationError("--ttl must look like 7d, 12h or 90m")
            }
        }

        func run() throws {
            let config = try SiteConfig.load(root: store.site.rootURL)
            var subject = buyer ?? ""
            if let email {
                let (_, db) = try store.open()
                guard let grant = try CreatorQueries(store: db).liveGrant(email: email, product: course) else {
                    throw LecternError(
                        .token, "\(email) has no live grant of \(course)",
                        hint: "give one with `lectern grant --email \(email) --course \(course)`")
                }
                subject = AccessLinks.subject(grant: grant)
            }
            try store.requireProduct(course, config: config)
            let lifetime = ttl.flatMap(Duration.parseSeconds) ?? config.tokens.lifetime
            let signer = try TokenSigner(keys: KeyStore(config: config))
            let token = try signer.sign(
                AccessClaims(subject: subject, audience: course, issuedAt: Date(), lifetime: lifetime))
            print(SiteRoutes.signedLink(baseURL: config.baseURL, product: course, token: token))
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a token (or a signed link) and print its claims.")
        @OptionGroup var site: SiteOptions
        @Argument(help: "The token, or a whole link containing ?token=…") var token: String

        func run() throws {
            let config = try SiteConfig.load(root: site.rootURL)
            let verifier = try TokenVerifier(keyStore: KeyStore(config: config))
            var raw = token
            if let range = raw.range(of: "token=") { raw = String(raw[range.upperBound...].prefix { $0 != "&" }) }
            do {
                let claims = try verifier.verify(raw)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(claims), as: UTF8.self))
            } catch {
                throw LecternError(.token, "invalid token: \(error)")
            }
        }
    }
}
