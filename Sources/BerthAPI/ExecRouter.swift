import BerthCore
import BerthServer

/// The exec endpoints: create in a container, start (attached through a hijacked connection, or
/// detached), inspect, resize; and a container's terminal resize.
public struct ExecRouter: APIRouter {
    let backend: any ExecBackend

    public init(backend: any ExecBackend) {
        self.backend = backend
    }

    public func register(on router: inout Router) {
        let backend = backend
        router.add(.post, "/containers/{name}/exec") { request, context in
            let body = try await request.decodeJSON(ExecCreateRequest.self)
            guard let command = body.Cmd, !command.isEmpty else { throw APIError.invalidParameter("No exec command specified") }
            let id = try await backend.createExec(in: try context.parameter("name"), body)
            return try .json(["Id": id], status: .created)
        }
        router.add(.post, "/exec/{id}/start") { request, context in
            let body = try await request.decodeJSON(ExecStartRequest.self)
            let id = try context.parameter("id")
            guard let streams = try await backend.startExec(id, detach: body.Detach ?? false, consoleSize: body.ConsoleSize) else {
                return Response(status: .ok)
            }
            let inspect = try await backend.inspectExec(id)
            return streams.response(upgrade: request.head.wantsUpgrade, stdin: inspect.OpenStdin, standardHeaders: true)
        }
        router.add(.get, "/exec/{id}/json") { _, context in
            try .json(try await backend.inspectExec(try context.parameter("id")))
        }
        router.add(.post, "/exec/{id}/resize") { request, context in
            let (height, width) = try Self.size(request.query)
            try await backend.resizeExec(try context.parameter("id"), height: height, width: width)
            return Response(status: .ok)
        }
    }

    /// `h` and `w` of a resize, both required numbers.
    static func size(_ query: QueryParameters) throws -> (Int, Int) {
        guard let height = try query.int("h"), let width = try query.int("w"), height >= 0, width >= 0 else {
            throw APIError.invalidParameter("invalid resize size: h and w must be numbers")
        }
        return (height, width)
    }
}
