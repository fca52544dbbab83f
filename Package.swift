// swift-tools-version:6.0
import PackageDescription

// Berth takes no package dependencies: the toolchain's modules, the system's C library
// through a small shim, and nothing else. Each target's dependencies are exactly the modules
// its files import (`ManifestTests` checks it).
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        // The daemon machinery: HTTP wire format, transport, server, engine.
        .library(name: "Berth", targets: ["BerthCore", "BerthSync", "BerthHTTP", "BerthLogging", "BerthTransport", "BerthTLS",
                                          "BerthServer", "BerthEngine"]),
        // The async test harness: in-memory and live servers and a test client.
        .library(name: "BerthTesting", targets: ["BerthTesting"]),
        .executable(name: "berthd", targets: ["berthd"]),
        // The runtime with runc's command line, for OCI consumers such as containerd's shim.
        .executable(name: "berth-runtime", targets: ["berth-runtime"]),
        // The load generator for benchmarks (CONTRIBUTING.md, "Benchmarks").
        .executable(name: "berth-bench", targets: ["berth-bench"]),
    ],
    targets: [
        .target(name: "CBerthSys"),
        .target(name: "BerthCore", swiftSettings: strict),
        .target(name: "BerthSync", dependencies: ["CBerthSys"], swiftSettings: strict),
        // The runtime's C part: the namespace steps of `berthd init` (a constructor), process
        // creation that runs no Swift between fork and exec, and system calls without wrappers.
        .target(name: "CBerthRuntime"),
        // The system's OpenSSL 3 (Debian: libssl-dev), and a C shim for its macros and callbacks.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "CBerthTLS", dependencies: ["COpenSSL"]),
        // The system's libarchive (Debian: libarchive-dev): tar and its compressions.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        // The system's libseccomp (Debian: libseccomp-dev): containers' syscall filters.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .target(name: "BerthHTTP", dependencies: ["BerthCore"], swiftSettings: strict),
        .target(name: "BerthLogging", dependencies: ["BerthCore", "BerthSync"], swiftSettings: strict),
        .target(name: "BerthTransport", dependencies: ["BerthCore", "CBerthSys", "BerthSync"], swiftSettings: strict),
        .target(name: "BerthTLS", dependencies: ["CBerthTLS", "BerthSync", "BerthTransport"], swiftSettings: strict),
        .target(name: "BerthServer", dependencies: ["BerthCore", "BerthSync", "BerthHTTP", "BerthTransport", "BerthLogging"],
                swiftSettings: strict),
        .target(name: "BerthEngine", dependencies: ["BerthCore", "BerthSync", "BerthLogging"], swiftSettings: strict),
        // The native runtime: a container's init (namespaces, root file system, privileges, exec) and
        // its creator's side (spawn, start, wait, signal).
        .target(name: "BerthRuntime", dependencies: ["BerthCore", "BerthSync", "BerthTransport", "CBerthRuntime", "CBerthSys", "CSeccomp"], swiftSettings: strict),
        // The image store: content-addressed images and layers on overlay2 or vfs, import, load, save.
        .target(name: "BerthImages", dependencies: ["BerthAPI", "BerthCore", "BerthSync", "BerthTransport",
                                                    "CBerthSys", "COpenSSL", "CArchive"], swiftSettings: strict),
        // Containers: one actor each, their lifecycle, persisted state, json-file logs, restart policies.
        .target(name: "BerthContainers", dependencies: ["BerthAPI", "BerthCore", "BerthImages", "BerthRuntime", "BerthSync",
                                                        "BerthTransport", "CBerthSys"], swiftSettings: strict),
        // The Docker API surface: wire types, and one router per resource with its Backend protocol.
        .target(name: "BerthAPI", dependencies: ["BerthCore", "BerthHTTP", "BerthServer"], swiftSettings: strict),
        .target(name: "BerthDaemon", dependencies: ["BerthAPI", "BerthContainers", "BerthImages", "BerthRuntime", "BerthCore", "BerthSync", "BerthServer", "BerthEngine", "BerthTransport",
                                                    "BerthTLS", "BerthLogging"], swiftSettings: strict),
        .target(name: "BerthTesting", dependencies: ["CBerthSys", "BerthSync", "BerthServer", "BerthTransport"], swiftSettings: strict),
        .executableTarget(name: "berthd", dependencies: ["BerthDaemon", "BerthRuntime"], swiftSettings: strict),
        .executableTarget(name: "berth-runtime", dependencies: ["BerthCore", "BerthRuntime"], swiftSettings: strict),
        .executableTarget(name: "berth-bench", dependencies: ["CBerthSys"], swiftSettings: strict),
        .testTarget(name: "BerthCoreTests", dependencies: ["BerthCore", "BerthTesting"], swiftSettings: strict),
        .testTarget(name: "BerthAPITests", dependencies: ["BerthAPI", "BerthCore", "BerthServer", "BerthSync", "BerthTesting"],
                    swiftSettings: strict),
        .testTarget(name: "BerthImagesTests", dependencies: ["BerthImages", "BerthAPI", "BerthCore", "BerthSync", "CBerthSys",
                                                            "CArchive"],
                    swiftSettings: strict),
        .testTarget(name: "BerthRuntimeTests", dependencies: ["BerthCore", "BerthRuntime", "BerthTesting", "BerthTransport", "CBerthRuntime",
                                                             "CBerthSys"],
                    swiftSettings: strict),
        .testTarget(name: "BerthContainersTests", dependencies: ["BerthAPI", "BerthContainers", "BerthCore", "BerthRuntime", "BerthSync", "BerthTesting"],
                    swiftSettings: strict),
        .testTarget(name: "BerthHTTPTests", dependencies: ["BerthCore", "BerthHTTP"], swiftSettings: strict),
        .testTarget(name: "BerthServerTests", dependencies: ["BerthCore", "BerthSync", "BerthHTTP", "BerthLogging", "BerthServer",
                                                            "BerthTesting", "BerthTransport"], swiftSettings: strict),
        .testTarget(name: "BerthEngineTests", dependencies: ["BerthCore", "BerthSync", "BerthEngine"], swiftSettings: strict),
        .testTarget(name: "BerthDaemonTests", dependencies: ["BerthCore", "BerthSync", "BerthDaemon", "BerthEngine", "BerthHTTP",
                                                            "BerthLogging", "BerthRuntime", "BerthServer", "BerthTesting",
                                                            "BerthTransport", "CBerthRuntime"],
                    swiftSettings: strict),
        // Checks the package itself: every target's dependencies match its imports.
        .testTarget(name: "ManifestTests", swiftSettings: strict),
    ]
)
