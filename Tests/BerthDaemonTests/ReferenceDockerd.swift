import BerthSync
import BerthTesting
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's dockerd (package docker.io), started for an interoperability test with a data root,
/// exec root and socket of its own and no networking set up (`--iptables=false --bridge=none`),
/// and stopped with its containerd when the test ends.
final class ReferenceDockerd: Sendable {
    /// Runs `body` against a fresh dockerd started with `arguments` besides its own, and stops it
    /// afterwards, also when `body` throws.
    static func with<T>(arguments: [String] = [], _ body: (ReferenceDockerd) async throws -> T) async throws -> T {
        let dockerd = try await ReferenceDockerd(arguments: arguments)
        do {
            let result = try await body(dockerd)
            await dockerd.stop()
            return result
        } catch {
            await dockerd.stop()
            throw error
        }
    }

    let directory: String
    let socket: String
    private let process: Process
    private let exited = ExitStatus()

    static var binary: String? { ProcessRunner.find("dockerd") }

    private init(arguments: [String]) async throws {
        guard let binary = Self.binary else { throw TestImage.TestImageError("dockerd is not installed") }
        directory = TestDirectory.path("dockerd")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socket = directory + "/docker.sock"
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--data-root", directory + "/data", "--exec-root", directory + "/exec", "--pidfile", directory + "/pid",
                             "-H", "unix://" + socket, "--iptables=false", "--bridge=none"] + arguments
        let log = directory + "/dockerd.log"
        try Data().write(to: URL(fileURLWithPath: log))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        let status = exited
        process.terminationHandler = { status.set($0.terminationStatus) }
        try process.run()
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: socket) && exited.value == nil {
            try await Task.sleep(for: .milliseconds(50))
        }
        guard FileManager.default.fileExists(atPath: socket) else {
            await stop()
            throw TestImage.TestImageError("dockerd did not start: \(String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: log))) ?? Data(), as: UTF8.self))")
        }
    }

    var environment: [String: String] {
        ["DOCKER_HOST": "unix://" + socket, "DOCKER_CONFIG": TestDirectory.root + "/docker-config"]
    }

    /// Stops dockerd (and the containerd it started), waits for it, and removes its files.
    private func stop() async {
        if exited.value == nil { kill(process.processIdentifier, SIGTERM) }
        for _ in 0..<400 where exited.value == nil { try? await Task.sleep(for: .milliseconds(25)) }
        if exited.value == nil { kill(process.processIdentifier, SIGKILL) }
        // Whatever it left mounted under its data root goes before the files do.
        if let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) {
            for line in mounts.split(separator: "\n").reversed() {
                let point = line.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                if point.hasPrefix(directory) { umount2(point, Int32(MNT_DETACH)) }
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
