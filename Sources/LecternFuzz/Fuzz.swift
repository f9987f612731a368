import Foundation
import LecternBench

/// libFuzzer entry point. Built only by `scripts/fuzz` (LECTERN_FUZZ=1 adds this target, compiled
/// with `-sanitize=fuzzer`); the target parser is chosen with LECTERN_FUZZ_TARGET.
private let target = ProcessInfo.processInfo.environment["LECTERN_FUZZ_TARGET"] ?? "token"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    FuzzTargets.run(target, Data(bytes: bytes, count: count))
    return 0
}
