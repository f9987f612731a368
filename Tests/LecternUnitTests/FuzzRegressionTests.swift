import Foundation
import LecternTestSupport
import Testing

@testable import LecternBench

/// Every saved fuzzing input (seeds and any crash ever found) replayed through its parser: each must
/// return or throw, never crash. Plus hostile shapes a fuzzer takes long to reach.
struct FuzzRegressionTests {
    static let folder = fixturesRoot.appendingPathComponent("fuzz")

    @Test(arguments: FuzzTargets.names)
    func savedInputsDoNotCrash(_ target: String) throws {
        let directory = Self.folder.appendingPathComponent(target)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(!files.isEmpty, "no seeds for \(target)")
        for name in files { FuzzTargets.run(target, try Data(contentsOf: directory.appendingPathComponent(name))) }
    }

    @Test func hostileShapes() {
        let deepJSON = Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        for target in ["stripe", "standard", "lemonsqueezy"] { FuzzTargets.run(target, deepJSON) }
        let deepYAML =
            "---\n" + (0..<2_000).map { String(repeating: " ", count: $0) + "a:" }.joined(separator: "\n") + "\n---\n"
        FuzzTargets.run("front-matter", Data(deepYAML.utf8))
        FuzzTargets.run(
            "front-matter",
            Data(("---\ntitle: x\n" + String(repeating: "a: &a [*a, *a, *a]\n", count: 50) + "---\n").utf8))
        FuzzTargets.run(
            "token", Data((String(repeating: "A", count: 3_000) + "." + String(repeating: "B", count: 10) + ".C").utf8))
        FuzzTargets.run("request-path", Data(("/" + String(repeating: "%", count: 5_000)).utf8))
    }
}
