// swift-tools-version:6.0
import PackageDescription

// Berth takes no package dependencies: the toolchain's modules, the system's C library
// through a small shim, and nothing else.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        // The daemon machinery: HTTP wire format, transport, server, engine.
        .library(name: "Berth", targets: ["BerthSync", "BerthHTTP", "BerthLogging", "BerthTransport", "BerthTLS", "BerthServer", "BerthEngine"]),
        // The async test harness: in-memory and live servers and a test client.
        .library(name: "BerthTesting", targets: ["BerthTesting"]),
        .executable(name: "berthd", targets: ["berthd"]),
        // The load generator for benchmarks (CONTRIBUTING.md, "Benchmarks").
        .executable(name: "berth-bench", targets: ["berth-bench"]),
    ],
    targets: [
        .target(name: "CBerthSys"),
        .target(name: "BerthSync", swiftSettings: strict),
        // The system's OpenSSL 3 (Debian: libssl-dev), and a C shim for its macros and callbacks.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "CBerthTLS", dependencies: ["COpenSSL"]),
        .target(name: "BerthHTTP", dependencies: ["BerthSync"], swiftSettings: strict),
        .target(name: "BerthLogging", dependencies: ["BerthSync"], swiftSettings: strict),
        .target(name: "BerthTransport", dependencies: ["CBerthSys", "BerthSync", "BerthLogging"], swiftSettings: strict),
        .target(name: "BerthTLS", dependencies: ["CBerthTLS", "BerthSync", "BerthTransport"], swiftSettings: strict),
        .target(name: "BerthServer", dependencies: ["BerthSync", "BerthHTTP", "BerthTransport", "BerthLogging"], swiftSettings: strict),
        .target(name: "BerthEngine", dependencies: ["BerthSync", "BerthHTTP", "BerthLogging"], swiftSettings: strict),
        .target(name: "BerthDaemon", dependencies: ["BerthSync", "BerthServer", "BerthEngine", "BerthTransport", "BerthTLS", "BerthHTTP", "BerthLogging"], swiftSettings: strict),
        .target(name: "BerthTesting", dependencies: ["BerthSync", "BerthServer", "BerthTransport", "BerthHTTP"], swiftSettings: strict),
        .executableTarget(name: "berthd", dependencies: ["BerthDaemon"], swiftSettings: strict),
        .executableTarget(name: "berth-bench", dependencies: ["CBerthSys"], swiftSettings: strict),
        .testTarget(name: "BerthHTTPTests", dependencies: ["BerthHTTP"], swiftSettings: strict),
        .testTarget(name: "BerthServerTests", dependencies: ["BerthSync", "BerthServer", "BerthTesting", "BerthTransport"], swiftSettings: strict),
        .testTarget(name: "BerthEngineTests", dependencies: ["BerthSync", "BerthEngine"], swiftSettings: strict),
        .testTarget(name: "BerthDaemonTests", dependencies: ["BerthSync", "BerthDaemon", "BerthTesting"], swiftSettings: strict),
    ]
)
