// swift-tools-version:6.0
import Foundation
import PackageDescription

// Undeclared imports fail to compile: a file uses only the modules it imports, and a target only those it lists.
let strict: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]

// Why each dependency is here (and what it costs a 2-core CI) is written down in docs/ARCHITECTURE.md.
let package = Package(
    name: "Lectern",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lectern", targets: ["lectern"]),
        .executable(name: "lecternd", targets: ["lecternd"]),
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
        // Already built for hummingbird; named for the daemon's services (outbox, retention).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The second store engine (several lecternd nodes on one PostgreSQL); linked only by the programs,
        // never by the builder.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Already built for postgres-nio; named for TLS to a managed PostgreSQL (`?sslmode=require`).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CCmarkGFM",
            pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libqrencode (Debian): the WeChat Pay QR code, drawn by lecternd itself (no image service sees the
        // payment link).
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .target(name: "CFileSystem"),
        // The targets below are the architecture (docs/ARCHITECTURE.md): each may use only those it lists,
        // so a dependency the wrong way round is a compile error.
        // Formats and rules the builder and the daemon share: errors, money, routes, the build manifest
        // and the paid-page format.
        .target(
            name: "LecternCore",
            dependencies: ["CFileSystem", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // `lectern.toml`.
        .target(
            name: "LecternConfig",
            dependencies: ["LecternCore", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        // content/ + site-template/ -> public/ and paid/; check and preview drive the same pipeline.
        .target(
            name: "LecternBuild",
            dependencies: [
                "LecternCore", "LecternConfig", "CCmarkGFM", "CFileSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // The database: schema, migrations, every SQL statement, record types.
        .target(
            name: "LecternStore",
            dependencies: [
                "LecternCore", .product(name: "GRDB", package: "GRDB.swift"),
                // SHA-256 of rows, verifying `lectern store copy`.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The store on PostgreSQL: an engine for `LecternStore`'s statements, and `Store.open(location)`.
        .target(
            name: "LecternPostgres",
            dependencies: [
                "LecternCore", "LecternStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // Tokens, watermark, webhooks, mail and the gate's decisions, on the store.
        .target(
            name: "LecternCommerce",
            dependencies: [
                "LecternCore", "LecternConfig", "LecternStore", "CFileSystem", "CQREncode",
                .product(name: "Crypto", package: "swift-crypto"),
                // RSA (SHA256withRSA) for Alipay and WeChat Pay: the same package's extras module.
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // HTTP parts without a server: static files with gzip and validators, HTTP dates, rate limits,
        // client addresses, metrics access. Fuzzed and tested without Hummingbird.
        .target(
            name: "LecternHTTP",
            dependencies: ["LecternCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The daemon: Hummingbird, its routes and services, wired from the parts below.
        .target(
            name: "LecternServer",
            dependencies: [
                "LecternCore", "LecternConfig", "LecternStore", "LecternPostgres", "LecternCommerce", "LecternHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // `lectern serve`: the builder's in-memory site over the server's HTTP; the one place the two meet,
        // so that lecternd does not link the builder (nor the builder NIO).
        .target(
            name: "LecternPreview",
            dependencies: [
                "LecternCore", "LecternConfig", "LecternBuild", "LecternServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // `lectern bench` and the fuzz entry points: not part of any library.
        .target(
            name: "LecternBench",
            dependencies: [
                "LecternCore", "LecternConfig", "LecternBuild", "LecternStore", "LecternCommerce", "LecternHTTP",
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "lecternd",
            dependencies: [
                "LecternCore", "LecternConfig", "LecternServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "lectern",
            dependencies: [
                "LecternCore", "LecternConfig", "LecternBuild", "LecternStore", "LecternPostgres", "LecternCommerce",
                "LecternPreview", "LecternBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Tests, in three kinds a developer can run alone (`swift test --filter LecternUnitTests`, …):
        // helpers they share (a temporary site, running a program),
        .target(
            name: "LecternTestSupport",
            dependencies: ["LecternCore", "LecternConfig", "LecternBuild", "LecternStore", "LecternPostgres"],
            path: "Tests/LecternTestSupport"
        ),
        // the library's parts in-process (a few with the providers' Python libraries as oracles),
        .testTarget(
            name: "LecternUnitTests",
            dependencies: [
                "LecternTestSupport", "LecternPostgres", "LecternCore", "LecternConfig", "LecternBuild", "LecternStore",
                "LecternCommerce", "LecternHTTP", "LecternServer", "LecternPreview", "LecternBench",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // the daemon's router driven in-process (no socket, no child process),
        .testTarget(
            name: "LecternServerTests",
            dependencies: [
                "LecternTestSupport", "LecternCore", "LecternConfig", "LecternStore", "LecternCommerce",
                "LecternHTTP", "LecternServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // and the programs as processes: lecternd over loopback, the CLI, Chromium, nginx, an SMTP server.
        .testTarget(
            name: "LecternLiveTests",
            dependencies: [
                "LecternTestSupport", "LecternPostgres", "LecternCore", "LecternConfig", "LecternBuild", "LecternStore",
                "LecternCommerce", "LecternServer", "LecternBench",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)

// The libFuzzer harness exists only for `scripts/fuzz` (LECTERN_FUZZ=1): it has no `main` of its own
// (libFuzzer provides it), so it cannot be part of an ordinary build.
if ProcessInfo.processInfo.environment["LECTERN_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "LecternFuzz", dependencies: ["LecternBench", "LecternCore"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
