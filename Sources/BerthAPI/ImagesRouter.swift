import BerthCore
import BerthHTTP
import BerthServer
import FoundationEssentials

/// The image endpoints: list, inspect, history, tag, remove, prune, import, load and save.
public struct ImagesRouter: APIRouter {
    let backend: any ImagesBackend

    /// The filter keys `GET /images/json` takes, and those `POST /images/prune` takes.
    public static let listFilters: Set<String> = ["before", "dangling", "label", "reference", "since"]
    public static let pruneFilters: Set<String> = ["dangling", "label", "until"]

    public init(backend: any ImagesBackend) {
        self.backend = backend
    }

    public func register(on router: inout Router) {
        let backend = backend
        router.add(.get, "/images/json") { request, _ in
            let query = request.query
            let filters = try Filters(json: query["filters"] ?? "", allowed: Self.listFilters)
            return try .json(try await backend.images(all: query.bool("all"), filters: filters))
        }
        router.add(.get, "/images/{name:.*}/json") { _, context in
            try .json(try await backend.inspect(try context.parameter("name")))
        }
        router.add(.get, "/images/{name:.*}/history") { _, context in
            try .json(try await backend.history(try context.parameter("name")))
        }
        router.add(.post, "/images/{name:.*}/tag") { request, context in
            guard let repository = request.query["repo"], !repository.isEmpty else {
                throw APIError.invalidParameter("repository name must have at least one component")
            }
            try await backend.tag(try context.parameter("name"), repository: repository, tag: request.query["tag"] ?? "")
            return Response(status: .created)
        }
        router.add(.delete, "/images/{name:.*}") { request, context in
            let query = request.query
            return try .json(try await backend.delete(try context.parameter("name"), force: query.bool("force"),
                                                      prune: !query.bool("noprune")))
        }
        router.add(.post, "/images/prune") { request, _ in
            let filters = try Filters(json: request.query["filters"] ?? "", allowed: Self.pruneFilters)
            return try .json(try await backend.prune(filters: filters))
        }
        router.add(.post, "/images/create") { request, _ in
            let query = request.query
            if let image = query["fromImage"], !image.isEmpty {
                throw APIError.notImplemented(
                    "berthd cannot pull \(image) yet: it has no registry client; load the image with docker load, or import it")
            }
            guard let source = query["fromSrc"], !source.isEmpty else {
                throw APIError.invalidParameter("fromImage or fromSrc must be given")
            }
            guard source == "-" else {
                throw APIError.notImplemented("berthd cannot import from a URL yet (\(source)): send the tar as the request body")
            }
            let body = request.body
            let id = try await backend.importImage(from: { try await body.next() }, repository: query["repo"].flatMap { $0.isEmpty ? nil : $0 },
                                                   tag: query["tag"].flatMap { $0.isEmpty ? nil : $0 },
                                                   message: query["message"] ?? "", changes: query.values("changes"))
            return try .json(JSONMessage(status: id))
        }
        router.add(.post, "/images/load") { request, _ in
            let quiet = request.query.bool("quiet")
            let body = request.body
            return .stream { writer in
                let send: MessageSink = { message in
                    var line = Array(try JSONEncoder.goStyle().encode(message))
                    line.append(10)
                    try await writer.write(line)
                }
                do {
                    try await backend.load(from: { try await body.next() }, quiet: quiet, progress: send)
                } catch {
                    // The 200 has gone out: the error goes in the stream, as dockerd sends it.
                    try await send(.failure(ErrorKind.classify(error).message))
                }
            }
        }
        router.add(.get, "/images/get") { request, _ in
            try await Self.save(backend, request.query.values("names"))
        }
        router.add(.get, "/images/{name:.*}/get") { _, context in
            try await Self.save(backend, [try context.parameter("name")])
        }
    }

    private static func save(_ backend: any ImagesBackend, _ names: [String]) async throws -> Response {
        guard !names.isEmpty else { throw APIError.invalidParameter("no image names given") }
        let write = try await backend.save(names)
        return .stream(headers: ["Content-Type": "application/x-tar"]) { writer in
            try await write { try await writer.write($0) }
        }
    }
}
