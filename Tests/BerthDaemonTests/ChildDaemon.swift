@testable import BerthDaemon
import BerthCore
import BerthRuntime
import BerthSync
import BerthTesting
import BerthTransport
import Foundation

/// A `berthd` child process (the binary built next to the tests) on a temporary unix socket.
final class ChildDaemon: Sendable {
    let process: ProcessHandle
    let directory: String
    let socketPath: String
    let pidfile: String
    let logPath: String
    /// When the child was started.
    let started = ContinuousClock.now

    /// The built `berthd`: `swift test` builds it next to the test binary.
    static var binary: String? { BuiltExecutable.path("berthd") }

    static var available: Bool { binary != nil }

    /// - Parameters:
    ///   - hosts: the `-H` values (default: a unix socket in a temporary directory).
    ///   - launcher: a program that runs `berthd` (such as `systemd-socket-activate -l PATH`).
    ///   - waitFor: a path that appears once the daemon (or launcher) listens; nil to not wait.
    ///   - stderr: the descriptor the child's standard error goes to (default: `logPath`, read
    ///     by `log`).
    ///   - dataRoot: the data root (default: one in the child's own directory).
    init(arguments: [String] = [], hosts: [String]? = nil, launcher: [String] = [], environment: [String: String] = [:],
         waitFor: String?? = .none, stderr: Int32? = nil, dataRoot: String? = nil) async throws {
        guard let binary = Self.binary else { throw TestClientError("berthd is not built next to the tests") }
        directory = TestDirectory.path("child")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/berthd.sock"
        pidfile = directory + "/berthd.pid"
        logPath = directory + "/berthd.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let daemonArguments = (hosts ?? ["unix://\(socketPath)"]).flatMap { ["-H", $0] }
            + ["--pidfile", pidfile, "--data-root", dataRoot ?? directory + "/data", "--exec-root", directory + "/exec",
               "--config-file", "/dev/null"] + arguments
        let (program, programArguments) = launcher.isEmpty
            ? (binary, daemonArguments) : (launcher[0], Array(launcher.dropFirst()) + [binary] + daemonArguments)
        let logFile = open(logPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(logFile)
            close(null)
        }
        // A daemon exits without tearing its objects down; LeakSanitizer's exit-time check would
        // change the exit status the tests look at, so sanitized children skip it (ProcessRunner).
        process = try await ProcessRunner.start(program, programArguments, environment: environment,
                                                stdin: null, stdout: logFile, stderr: stderr ?? logFile)
        // Someone must wait for the exit for `exitStatus` to be known.
        Task { [process] in _ = try? await process.wait() }
        // Bounded wait for the socket file.
        let marker: String? = switch waitFor {
        case .none: hosts == nil ? socketPath : nil
        case .some(let path): path
        }
        if let marker {
            for _ in 0..<500 where !FileManager.default.fileExists(atPath: marker) && process.exitStatus == nil {
                try await Task.sleep(for: .milliseconds(10))
            }
            guard FileManager.default.fileExists(atPath: marker) else { throw TestClientError("berthd did not start: \(log)") }
        }
    }

    var pid: Int32 { process.pid }

    /// A test that ends early (a thrown error, a failed `#require`) never reaches its clean-up:
    /// the daemon it started is asked to shut down then, which stops its containers, unmounts
    /// their roots and removes their cgroups before it exits.
    deinit {
        if process.exitStatus == nil { try? process.signal(SIGTERM) }
    }

    func signal(_ number: Int32) { try? process.signal(number) }

    /// The exit status, waiting up to `limit` for it; nil if still running then.
    func waitForExit(limit: Duration = .seconds(20)) async throws -> Int32? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let exit = process.exitStatus { return exit.code }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    var log: String { SmallFile.text(logPath) ?? "" }

    /// Open file descriptors of the child.
    var openDescriptors: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }

    /// The number of open descriptors once it has not changed for half a second (within 10 s).
    func steadyDescriptorCount() async throws -> Int {
        var count = openDescriptors, unchanged = 0
        for _ in 0..<400 where unchanged < 20 {
            try await Task.sleep(for: .milliseconds(25))
            let now = openDescriptors
            unchanged = now == count ? unchanged + 1 : 0
            count = now
        }
        return count
    }

    /// What the child's open descriptors point at (`socket:[…]`, paths, `anon_inode:…`), sorted:
    /// compared before and after, it names what leaked.
    var descriptorTargets: [String] {
        let directory = "/proc/\(pid)/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0) }.sorted()
    }

    /// A new connection to the daemon. Its socket file appears at bind(2), a moment before
    /// listen(2) (its mode and group are set in between): a refused connection is tried again,
    /// for five seconds at most.
    func client() async throws -> TestClient {
        var attempts = 0
        while true {
            do {
                return try await TestClient.connect(unixPath: socketPath)
            } catch let error as SocketError where error.code == ECONNREFUSED && attempts < 500 {
                attempts += 1
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    /// For `defer`: kills the child at once, so it cannot outlive a test process that ends
    /// right after, and removes its files in the background.
    func stopSoon() {
        if process.exitStatus == nil { try? process.signal(SIGKILL) }
        Task { await stop() }
    }

    func stop() async {
        if process.exitStatus == nil {
            try? process.signal(SIGKILL)
            _ = try? await waitForExit(limit: .seconds(5))
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Process files (`/proc`, `/sys`) are only there on Linux.
func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

/// Whether these tests (and the berthd built with them) run under AddressSanitizer, whose runtime
/// quarantines freed memory and needs descriptors of its own: resource bounds measure it, not berthd.
let underAddressSanitizer: Bool = dlsym(nil, "__asan_init") != nil

/// Whether these tests run under ThreadSanitizer, whose runtime also needs descriptors of its own.
let underThreadSanitizer: Bool = dlsym(nil, "__tsan_init") != nil
