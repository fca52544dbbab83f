import BerthRuntime
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
    private let process: ProcessHandle

    static var binary: String? { ProcessRunner.find("dockerd") }

    private init(arguments: [String]) async throws {
        guard let binary = Self.binary else { throw TestImage.TestImageError("dockerd is not installed") }
        directory = TestDirectory.path("dockerd")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socket = directory + "/docker.sock"
        let log = directory + "/dockerd.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let logFile = open(log, O_WRONLY | O_APPEND | O_CLOEXEC)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(logFile)
            close(null)
        }
        process = try await ProcessRunner.start(binary, ["--data-root", directory + "/data", "--exec-root", directory + "/exec",
                                                         "--pidfile", directory + "/pid", "-H", "unix://" + socket,
                                                         "--iptables=false", "--bridge=none"] + arguments,
                                                stdin: null, stdout: logFile, stderr: logFile)
        // Someone must wait for the exit for `exitStatus` to be known.
        Task { [process] in _ = try? await process.wait() }
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: socket) && process.exitStatus == nil {
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
        if process.exitStatus == nil { try? process.signal(SIGTERM) }
        for _ in 0..<400 where process.exitStatus == nil { try? await Task.sleep(for: .milliseconds(25)) }
        if process.exitStatus == nil { try? process.signal(SIGKILL) }
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
