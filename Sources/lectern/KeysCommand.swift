import ArgumentParser
import Foundation
import LecternCommerce
import LecternConfig

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the Ed25519 keys that sign access links.",
        subcommands: [Generate.self, List.self, JWKS.self, Remove.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key pair and make it the active signer.")
        @OptionGroup var site: SiteOptions
        func run() throws {
            let store = KeyStore(config: try SiteConfig.load(root: site.rootURL))
            let kid = try store.generate()
            print("Generated key \(kid) in \(store.directory.path) (now signing new links).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key ids; the active one is marked.")
        @OptionGroup var site: SiteOptions
        func run() throws {
            let store = KeyStore(config: try SiteConfig.load(root: site.rootURL))
            let active = store.activeKid()
            for kid in try store.verificationKeys().keys.sorted() {
                print("\(kid == active ? "*" : " ") \(kid)")
            }
        }
    }

    struct JWKS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "jwks", abstract: "Print the public keys as a JWKS document.")
        @OptionGroup var site: SiteOptions
        func run() throws {
            print(try KeyStore(config: try SiteConfig.load(root: site.rootURL)).jwks())
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key: links it signed stop working.")
        @OptionGroup var site: SiteOptions
        @Argument(help: "The key id.") var kid: String
        func run() throws {
            try KeyStore(config: try SiteConfig.load(root: site.rootURL)).remove(kid: kid)
            print("Removed key \(kid).")
        }
    }
}
