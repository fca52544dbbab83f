@testable import BerthDaemon
import BerthCore
import Foundation

/// Runs a program to completion without blocking a thread of the cooperative pool: output goes to
/// temporary files and the exit is awaited through the termination handler.
enum ProcessRunner {
    struct Outcome: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    directory workingDirectory: String? = nil, input: String? = nil,
                    limit: Duration = .seconds(120)) async throws -> Outcome {
        let directory = NSTemporaryDirectory()
        let outPath = directory + "berth-out-\(UUID().uuidString)"
        let errPath = directory + "berth-err-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let inPath = directory + "berth-in-\(UUID().uuidString)"
        if let input { _ = FileManager.default.createFile(atPath: inPath, contents: Data(input.utf8)) }
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
            if input != nil { try? FileManager.default.removeItem(atPath: inPath) }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let sanitizer = underAddressSanitizer ? ["ASAN_OPTIONS": "detect_leaks=0"] : [:]  // see ChildDaemon
        process.environment = ProcessInfo.processInfo.environment.merging(sanitizer) { $1 }.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = input == nil ? FileHandle.nullDevice : try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        // A program that hangs is killed after `limit` (its status is then SIGKILL's), so that
        // a stuck command fails its test instead of holding the whole run.
        let watchdog = Task {
            try await Task.sleep(for: limit)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        defer { watchdog.cancel() }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return Outcome(status: status, stdout: SmallFile.text(outPath) ?? "", stderr: SmallFile.text(errPath) ?? "")
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import docker"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()  // once, while tests are being listed, before any daemon runs
        return process.terminationStatus == 0
    }()
}
