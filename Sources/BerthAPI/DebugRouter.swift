import BerthServer

/// Operator routes where dockerd has `/debug/pprof/`: `/debug/vars`, `/debug/jobs`,
/// `/debug/connections` and an index. Unversioned only, and answered only while debug is on
/// (otherwise they are Docker's 404, as if absent).
public struct DebugRouter: APIRouter {
    let backend: any DebugBackend

    public init(backend: any DebugBackend) {
        self.backend = backend
    }

    public func register(on router: inout Router) {
        func debugOnly(_ handler: @escaping @Sendable (any DebugBackend) async throws -> Response) -> Handler {
            { [backend] _, _ in
                guard backend.isEnabled else { return DockerAPI.notFound }
                return try await handler(backend)
            }
        }
        router.add(.get, "/debug/pprof/", versioned: false, debugOnly { _ in
            Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: .bytes(Array(Self.index.utf8)))
        })
        router.add(.get, "/debug/vars", versioned: false, debugOnly { backend in try .json(try await backend.vars()) })
        router.add(.get, "/debug/jobs", versioned: false, debugOnly { backend in try .json(await backend.runningJobs()) })
        router.add(.get, "/debug/connections", versioned: false, debugOnly { backend in try .json(backend.connections()) })
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
}
