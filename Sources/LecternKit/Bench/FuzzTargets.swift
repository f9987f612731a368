import Foundation

/// The parsers that take hostile input, as fuzzing entry points: each gets arbitrary bytes and must
/// return or throw its own error, never crash, hang or run out of memory. Used by the libFuzzer
/// harness (`Sources/LecternFuzz`, built by `scripts/fuzz`) and by `FuzzRegressionTests`, which
/// replays the saved inputs in `Tests/Fixtures/fuzz/<target>/`.
public enum FuzzTargets {
    public static let names = ["token", "front-matter", "stripe", "standard", "lemonsqueezy", "request-path", "cookie"]

    private static let verifier: TokenVerifier = {
        // A fixed key so signatures can verify when the fuzzer finds one (it will not, but parsing runs fully).
        TokenVerifier(keys: [:])
    }()
    private static let cookies = AccessCookie(secret: .init(data: Data(repeating: 7, count: 32)))

    public static func run(_ target: String, _ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        switch target {
        case "token": _ = try? verifier.verify(text)
        case "front-matter": _ = try? FrontMatter.parse(text, file: "fuzz.md")
        case "stripe": _ = try? ProviderParsers.stripe(data)
        case "standard": _ = try? ProviderParsers.standard(data, id: "msg_fuzz")
        case "lemonsqueezy": _ = try? ProviderParsers.lemonSqueezy(data)
        case "request-path": _ = RequestPath(text)
        case "cookie": _ = cookies.check(text, course: "course")
        default: fatalError("unknown fuzz target \(target); known: \(names.joined(separator: ", "))")
        }
    }
}
