// swift-tools-version:6.0
import Foundation
import PackageDescription

// Why each dependency is here (and what it costs a 2-core CI) is written down in docs/ARCHITECTURE.md.
let package = Package(
    name: "Lectern",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lectern", targets: ["lectern"]),
        .executable(name: "lecternd", targets: ["lecternd"]),
        .library(name: "LecternKit", targets: ["LecternKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Already built for hummingbird; named here for `SocketAddress` (the client address behind rate
        // limits) and `HTTPField` (several Set-Cookie headers in one response).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // Already built for hummingbird; `NIOHTTPTypes` for the slow-client deadline handler.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CCmarkGFM",
            pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CFileSystem"),
        .target(
            name: "LecternKit",
            dependencies: [
                "CCmarkGFM",
                "CFileSystem",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "LecternServer",
            dependencies: [
                "LecternKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .executableTarget(
            name: "lecternd",
            dependencies: [
                "LecternServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "lectern",
            dependencies: [
                "LecternKit",
                "LecternServer",  // `lectern serve`
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "LecternKitTests",
            dependencies: ["LecternKit", "LecternServer"]
        ),
    ]
)

// The libFuzzer harness exists only for `scripts/fuzz` (LECTERN_FUZZ=1): it has no `main` of its own
// (libFuzzer provides it), so it cannot be part of an ordinary build.
if ProcessInfo.processInfo.environment["LECTERN_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "LecternFuzz", dependencies: ["LecternKit"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
