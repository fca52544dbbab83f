import BerthAPI
import BerthCore
import BerthTransport

/// The debug routes' backend: the daemon's own state. Holds the daemon weakly (the daemon owns
/// the engine that owns the service).
final class DaemonDebugBackend: DebugBackend {
    private weak let daemon: Daemon?

    init(daemon: Daemon) {
        self.daemon = daemon
    }

    var isEnabled: Bool { daemon?.settings.current.debug ?? false }

    func vars() async throws -> DebugVars {
        guard let daemon else { return DebugVars() }
        let status = try await BlockingPool.shared.run { SmallFile.text("/proc/self/status") ?? "" }
        func kib(_ field: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
            return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
        }
        var vars = DebugVars()
        vars.cmdline = CommandLine.arguments
        vars.uptime_seconds = (ContinuousClock.now - daemon.started).seconds
        vars.memory.rss_bytes = kib("VmRSS")
        vars.memory.peak_rss_bytes = kib("VmHWM")
        vars.memory.virtual_bytes = kib("VmSize")
        vars.connections.open = daemon.connections.openCount
        vars.connections.accepted = daemon.connections.acceptedCount
        vars.connections.by_listener = daemon.connections.acceptedByListener
        vars.requests = daemon.metrics.snapshot.byStatusClass
        vars.jobs = await daemon.engine.jobStats.mapValues {
            .init(count: $0.count, errors: $0.errors, total_seconds: $0.totalDuration.seconds, max_seconds: $0.maxDuration.seconds)
        }
        vars.log_lines_dropped = daemon.logger.sink.droppedLines
        return vars
    }

    func runningJobs() async -> [DebugJob] {
        guard let daemon else { return [] }
        let now = ContinuousClock.now
        return await daemon.engine.runningJobs.map { DebugJob(call: $0.call, age_seconds: (now - $0.started).seconds) }
    }

    func connections() -> [DebugConnection] {
        guard let daemon else { return [] }
        let now = ContinuousClock.now
        return daemon.connections.snapshot.map {
            DebugConnection(id: $0.id, peer: $0.peer, listener: $0.listener, state: $0.state.description,
                            age_seconds: (now - $0.opened).seconds, bytes_in: $0.bytesIn, bytes_out: $0.bytesOut)
        }
    }
}
