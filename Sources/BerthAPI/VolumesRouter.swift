import BerthServer

/// The volume endpoints: create, list, inspect, remove, prune.
public struct VolumesRouter: APIRouter {
    let backend: any VolumesBackend

    public static let listFilters: Set<String> = ["dangling", "driver", "label", "name"]
    public static let pruneFilters: Set<String> = ["all", "label"]

    public init(backend: any VolumesBackend) {
        self.backend = backend
    }

    public func register(on router: inout Router) {
        let backend = backend
        router.add(.post, "/volumes/create") { request, _ in
            try .json(try await backend.create(try await request.decodeJSON(VolumeCreateRequest.self)), status: .created)
        }
        router.add(.get, "/volumes") { request, _ in
            try .json(try await backend.list(filters: try Filters(json: request.query["filters"] ?? "", allowed: Self.listFilters)))
        }
        router.add(.post, "/volumes/prune") { request, _ in
            try .json(try await backend.prune(filters: try Filters(json: request.query["filters"] ?? "", allowed: Self.pruneFilters)))
        }
        router.add(.get, "/volumes/{name}") { _, context in
            try .json(try await backend.inspect(try context.parameter("name")))
        }
        router.add(.delete, "/volumes/{name}") { request, context in
            try await backend.remove(try context.parameter("name"), force: request.query.bool("force"))
            return Response(status: .noContent)
        }
    }
}
