@testable import BerthDaemon
import BerthServer
import BerthTesting
import BerthLogging
import BerthTransport
import Foundation

/// A logger whose lines go nowhere, so test output stays readable.
let quietLogger = Logger(sink: LogSink(fd: -1, level: .fatal))

/// An in-process daemon on a temporary unix socket (and optionally an ephemeral TCP port), for
/// the length of a test body.
struct DaemonHarness {
    let daemon: Daemon
    let socketPath: String
    let tcpPort: Int?

    static func configuration(tcp: Bool = false, labels: [String] = [], debug: Bool = false) -> DaemonConfiguration {
        let directory = TestDirectory.path("daemon")
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = DaemonConfiguration()
        configuration.hosts = [.unix(path: directory + "/berthd.sock")] + (tcp ? [.tcp(host: "127.0.0.1", port: 0)] : [])
        configuration.dataRoot = directory + "/data"
        configuration.execRoot = directory + "/exec"
        configuration.pidfile = directory + "/berthd.pid"
        configuration.labels = labels
        configuration.initBinaryPath = BuiltExecutable.path("berthd") ?? "/proc/self/exe"
        configuration.debug = debug
        return configuration
    }

    static func with<R: Sendable>(_ configuration: DaemonConfiguration = configuration(),
                                  initialize: @escaping @Sendable () async throws -> Void = {},
                                  _ body: @escaping @Sendable (DaemonHarness) async throws -> R) async throws -> R {
        let daemon = Daemon(configuration: configuration, facts: SystemFacts.gather(), engineID: "TEST:ID", logger: quietLogger,
                            initialize: initialize)
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                try await daemon.run()
                return nil
            }
            let listeners = try await daemon.waitUntilListening()
            let path = listeners.compactMap { if case .unix(let p) = $0.address { p } else { nil } }.first ?? ""
            let harness = DaemonHarness(daemon: daemon, socketPath: path, tcpPort: listeners.compactMap(\.boundPort).first)
            group.addTask { try await body(harness) }
            var result: R?
            var failure: (any Error)?
            do {
                while let next = try await group.next() {
                    if let next { result = next; group.cancelAll() }
                }
            } catch {
                failure = error
            }
            await daemon.engine.shutdown(timeout: .zero)
            // Only the body returns a value; without one, the body or the daemon threw, or the
            // test was cancelled.
            guard let result else { throw failure ?? CancellationError() }
            return result
        }
    }

    func client() async throws -> TestClient {
        try await TestClient.connect(unixPath: socketPath)
    }
}
