import BerthCore
import BerthEngine
import BerthHTTP
import BerthServer
import BerthTransport
import FoundationEssentials

/// Operator routes where dockerd has `/debug/pprof/`: `/debug/vars`, `/debug/jobs`,
/// `/debug/connections` and an index. Unversioned only, and answered only while `debug` is on
/// (otherwise they are Docker's 404, as if absent).
enum DebugRoutes {
    /// The handlers hold the daemon weakly: the daemon owns the engine that owns the service.
    static func register(on router: inout Router, daemon: Daemon) {
        func debugOnly(_ handler: @escaping @Sendable (Daemon) async throws -> Response) -> Handler {
            { [weak daemon] _, _ in
                guard let daemon, daemon.settings.current.debug else { return DockerAPI.notFound }
                return try await handler(daemon)
            }
        }
        router.add(.get, "/debug/pprof/", versioned: false, debugOnly { _ in
            Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: .bytes(Array(index.utf8)))
        })
        router.add(.get, "/debug/vars", versioned: false, debugOnly { daemon in try .json(await vars(daemon)) })
        router.add(.get, "/debug/jobs", versioned: false, debugOnly { daemon in
            let now = ContinuousClock.now
            return try .json(await daemon.engine.runningJobs.map { JobView(call: $0.call, age_seconds: (now - $0.started).seconds) })
        })
        router.add(.get, "/debug/connections", versioned: false, debugOnly { daemon in
            let now = ContinuousClock.now
            return try .json(daemon.connections.snapshot.map {
                ConnectionView(id: $0.id, peer: $0.peer, listener: $0.listener, state: $0.state.description,
                               age_seconds: (now - $0.opened).seconds, bytes_in: $0.bytesIn, bytes_out: $0.bytesOut)
            })
        })
    }

    static let index = """
        <html><head><title>/debug/</title></head><body>
        <p>berthd debug routes:</p>
        <ul>
        <li><a href="/debug/vars">/debug/vars</a>: process, connections, requests and jobs</li>
        <li><a href="/debug/jobs">/debug/jobs</a>: jobs running now</li>
        <li><a href="/debug/connections">/debug/connections</a>: open connections</li>
        </ul>
        </body></html>

        """

    struct JobView: Encodable {
        let call: String
        let age_seconds: Double
    }

    struct ConnectionView: Encodable {
        let id: UInt64
        let peer: String
        let listener: String
        let state: String
        let age_seconds: Double
        let bytes_in: Int
        let bytes_out: Int
    }

    struct Vars: Encodable {
        struct Memory: Encodable {
            let rss_bytes: Int
            let peak_rss_bytes: Int
            let virtual_bytes: Int
        }

        struct Connections: Encodable {
            let open: Int
            let accepted: UInt64
            let by_listener: [String: UInt64]
        }

        struct Jobs: Encodable {
            let count: Int
            let errors: Int
            let total_seconds: Double
            let max_seconds: Double
        }

        let cmdline: [String]
        let uptime_seconds: Double
        let memory: Memory
        let connections: Connections
        let requests: [String: Int]
        let jobs: [String: Jobs]
        let log_lines_dropped: Int
    }

    static func vars(_ daemon: Daemon) async throws -> Vars {
        let status = try await BlockingWork.run { SmallFile.text("/proc/self/status") ?? "" }
        func kib(_ field: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
            return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
        }
        let stats = await daemon.engine.jobStats
        let requests = daemon.metrics.snapshot.byStatusClass
        return Vars(
            cmdline: CommandLine.arguments, uptime_seconds: (ContinuousClock.now - daemon.started).seconds,
            memory: .init(rss_bytes: kib("VmRSS"), peak_rss_bytes: kib("VmHWM"), virtual_bytes: kib("VmSize")),
            connections: .init(open: daemon.connections.openCount, accepted: daemon.connections.acceptedCount,
                               by_listener: daemon.connections.acceptedByListener),
            requests: requests,
            jobs: stats.mapValues { .init(count: $0.count, errors: $0.errors, total_seconds: $0.totalDuration.seconds,
                                          max_seconds: $0.maxDuration.seconds) },
            log_lines_dropped: daemon.logger.sink.droppedLines)
    }
}
