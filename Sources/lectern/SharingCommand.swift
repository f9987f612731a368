import ArgumentParser
import Foundation
import LecternStore

/// `lectern sharing`: buyers whose sign-ins were seen from many networks on one day — the early warning
/// for a shared link. The watermark (`lectern trace`) is what names the buyer behind a leaked copy.
struct SharingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sharing", abstract: "List buyers seen from many networks on one day (shared links?).",
        discussion: """
            A network is an IPv4 /24 or an IPv6 /48, never a whole address. A buyer on a phone and a laptop, at \
            home and at work, is seen from 2–4 networks on a busy day; many more, with many sign-ins and \
            browsers, suggests a link passed around. `[daemon] max_devices` caps the browsers signed in at once.
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: "Look at this many days back (1–365).") var days = 30
    @Option(help: "List a buyer seen from at least this many networks on one day (2–1000).") var networks = 4

    func validate() throws {
        guard (1...365).contains(days) else { throw ValidationError("--days must be 1–365") }
        guard (2...1_000).contains(networks) else { throw ValidationError("--networks must be 2–1000") }
    }

    func run() throws {
        let (_, db) = try store.open()
        let since = Date().addingTimeInterval(-TimeInterval(days) * 86_400)
        let signals = try Sessions(store: db).signals(since: since, networks: networks)
        guard !signals.isEmpty else {
            print("No buyer was seen from \(networks) or more networks on one day in the last \(days) days.")
            return
        }
        print("email\tday\tnetworks\tbrowsers seen\tsign-ins (\(days) days)\tbrowser families")
        for signal in signals {
            let columns = [
                signal.email, signal.day, String(signal.networks), String(signal.sessions), String(signal.signIns),
                signal.browsers.joined(separator: ", "),
            ]
            print(columns.joined(separator: "\t"))
        }
        print("\nEach row is one buyer on one day. `lectern trace FILE` names the buyer behind a leaked copy.")
    }
}
