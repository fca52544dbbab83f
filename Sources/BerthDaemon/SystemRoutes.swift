import BerthCore
import BerthEngine
import BerthHTTP
import BerthServer

/// The system endpoints: `/_ping` answered directly (it is the hot path), `/version`,
/// `/info` and `/events` translated into engine jobs, and the catch-all `OPTIONS`.
enum SystemRoutes {
    /// The handlers hold the engine weakly: the engine keeps the `serveapi` job, which keeps this
    /// service.
    static func register(on router: inout Router, engine: Engine) {
        func withEngine(_ handler: @escaping @Sendable (Engine, Request) async throws -> Response) -> Handler {
            { [weak engine] request, _ in
                guard let engine else { throw EngineError.shuttingDown }
                return try await handler(engine, request)
            }
        }
        router.add(.get, "/_ping") { _, _ in ping }
        router.add(.head, "/_ping") { _, _ in pingHead }
        router.add(.options, "/{anyroute:.*}") { _, _ in Response(status: .ok) }
        router.add(.get, "/version", withEngine { engine, _ in .json(try await engine.job("version").output()) })
        router.add(.get, "/info", withEngine { engine, _ in .json(try await engine.job("info").output()) })
        router.add(.get, "/events", withEngine { engine, request in
            let job = engine.job("events", env: try eventsEnvironment(request.query))
            return .stream { writer in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await job.run() }
                    for await piece in job.stdout { try await writer.write(piece) }
                    try await group.waitForAll()
                }
            }
        })
    }

    /// Validates `since`, `until` and `filters` before the stream starts, so bad values get a 400.
    static func eventsEnvironment(_ query: QueryParameters) throws -> JobEnvironment {
        var env = JobEnvironment()
        let now = Timestamp.nowNanoseconds()
        if let since = query["since"], !since.isEmpty { env.set("since", Int(try APITimestamp.parse(since, now: now))) }
        if let until = query["until"], !until.isEmpty { env.set("until", Int(try APITimestamp.parse(until, now: now))) }
        if let filters = query["filters"] { try env.setJSON("filters", try EventFilter(json: filters)) }
        return env
    }

    /// `OK`, uncacheable.
    static let ping = Response(status: .ok, headers: pingHeaders, body: .bytes(Array("OK".utf8)))
    /// dockerd's HEAD answer writes no body, so it carries `Content-Length: 0`.
    static let pingHead = Response(status: .ok, headers: pingHeaders)

    private static let pingHeaders: HTTPHeaders = [
        "Cache-Control": "no-cache, no-store, must-revalidate",
        "Pragma": "no-cache",
        "Content-Type": "text/plain; charset=utf-8",
    ]
}
