@testable import BerthDaemon
import BerthCore
import BerthRuntime
import BerthTesting
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs programs for the tests the way berthd starts processes (`ProcessHandle`: the child only
/// places its descriptors and execs, from a blocking pool; its exit is awaited on the reactor),
/// so no thread of the cooperative pool waits for them. Output goes to temporary files.
enum ProcessRunner {
    struct Outcome: Sendable {
        /// The exit code, or 128 + the signal that killed it.
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Starts `executable` with this process's environment plus `environment`; `stdin`,
    /// `stdout` and `stderr` become its 0, 1 and 2, and it holds no other descriptor of ours.
    static func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                      directory: String? = nil, stdin: Int32, stdout: Int32, stderr: Int32) async throws -> ProcessHandle {
        let sanitizer = underAddressSanitizer ? ["ASAN_OPTIONS": "detect_leaks=0"] : [:]  // see ChildDaemon
        let variables = ProcessInfo.processInfo.environment.merging(sanitizer) { $1 }.merging(environment) { $1 }
            .map { "\($0.key)=\($0.value)" }
        return try await ProcessHandle.start(executable, arguments: [executable] + arguments, environment: variables,
                                             descriptors: [stdin, stdout, stderr], directory: directory)
    }

    /// Runs a program to completion and collects what it wrote. One that hangs is killed after
    /// `limit` (its status is then 137), so that a stuck command fails its test instead of
    /// holding the whole run.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    directory workingDirectory: String? = nil, input: String? = nil,
                    limit: Duration = .seconds(120)) async throws -> Outcome {
        let directory = NSTemporaryDirectory()
        let outPath = directory + "berth-out-\(UUID().uuidString)"
        let errPath = directory + "berth-err-\(UUID().uuidString)"
        let inPath = directory + "berth-in-\(UUID().uuidString)"
        if let input { _ = FileManager.default.createFile(atPath: inPath, contents: Data(input.utf8)) }
        let output = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let error = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let stdin = open(input == nil ? "/dev/null" : inPath, O_RDONLY | O_CLOEXEC)
        defer {
            for fd in [output, error, stdin] where fd >= 0 { close(fd) }
            unlink(outPath)
            unlink(errPath)
            if input != nil { unlink(inPath) }
        }
        guard output >= 0, error >= 0, stdin >= 0 else { throw TestClientError("cannot open the files for \(executable)") }
        let process = try await start(executable, arguments, environment: environment, directory: workingDirectory,
                                      stdin: stdin, stdout: output, stderr: error)
        let watchdog = Task {
            try await Task.sleep(for: limit)
            try? process.signal(SIGKILL)
        }
        defer { watchdog.cancel() }
        let exit = try await process.wait()
        return Outcome(status: exit.code, stdout: SmallFile.text(outPath) ?? "", stderr: SmallFile.text(errPath) ?? "")
    }

    /// The full path of a program on PATH, or nil.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var dockerCLI: String? { find("docker") }

    /// Whether python3 can import docker-py.
    static let hasDockerPy: Bool = {
        guard let python = find("python3") else { return false }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        // Once, while tests are being listed, before any daemon runs.
        guard let process = try? ProcessHandle.startBlocking(python, arguments: [python, "-c", "import docker"],
                                                     environment: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" },
                                                     descriptors: [null, null, null]),
              let exit = try? process.waitBlocking() else { return false }
        return exit.code == 0
    }()
}
