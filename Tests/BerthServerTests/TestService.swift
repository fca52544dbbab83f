import BerthCore
import BerthSync
import BerthHTTP
import BerthLogging
import BerthServer

/// A service with middleware like the daemon's (under a versioning policy of its own) and routes
/// that exercise the server: echo, stream, hijack, errors, and a counter to prove what ran.
struct TestService {
    static let executed = Locked<[String]>([])

    /// Versions 1.24 to 1.41; `X-Stamp` on every response but the version errors.
    static let versionPolicy = APIVersionMiddleware.Policy(
        minimum: APIVersion("1.24"), maximum: APIVersion("1.41"),
        fields: ["Api-Version": "1.41", "X-Stamp": "yes", "Server": "Berth/test (linux)"],
        versionErrorFields: ["Api-Version": "1.41", "Server": "Berth/test (linux)"],
        tooNew: { requested, maximum in .error("\(requested) is above \(maximum)", status: .badRequest) },
        tooOld: { requested, minimum in .text("\(requested) is below \(minimum)\n", status: .badRequest) })

    static func make(cors: String? = nil, extraRoutes: (inout Router) -> Void = { _ in }) -> Service {
        var router = Router()
        router.add(.get, "/_ping") { _, _ in .text("OK") }
        router.add(.head, "/_ping") { _, _ in Response(status: .ok) }
        router.add(.options, "/{anyroute:.*}") { _, _ in Response(status: .ok) }
        router.add(.get, "/containers/json") { _, _ in .json(Array("[]\n".utf8)) }
        router.add(.get, "/containers/{name}/json") { _, context in
            .text("container \(try context.parameter("name"))")
        }
        router.add(.get, "/containers/special/json") { _, _ in .text("literal") }
        router.add(.get, "/images/{name:.*}/json") { _, context in .text("image \(try context.parameter("name"))") }
        router.add(.delete, "/images/{name:.*}") { _, context in .text("delete \(try context.parameter("name"))") }
        router.add(.get, "/debug/vars", versioned: false) { _, _ in .text("vars") }
        router.add(.get, "/version") { _, context in .text("api \(context.apiVersion?.text ?? "none")") }
        router.add(.post, "/echo") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            return Response(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: .bytes(body))
        }
        router.add(.post, "/ignore-body") { _, _ in .text("ignored") }
        router.add(.get, "/count/{n}") { _, context in
            let n = try context.parameter("n")
            TestService.executed.withLock { $0.append(n) }
            return .text(n)
        }
        router.add(.get, "/fail/{kind}") { _, context in
            switch try context.parameter("kind") {
            case "notfound": throw APIError.notFound("No such container: nosuch")
            case "conflict": throw APIError.conflict("name in use")
            default: throw TestFailure()
            }
        }
        router.add(.get, "/stream") { request, _ in
            let count = try request.query.int("n") ?? 3
            return .stream { writer in
                for i in 0..<count { try await writer.write("{\"n\":\(i)}\n") }
            }
        }
        router.add(.post, "/hijack") { _, _ in
            var response = Response(status: .upgraded, headers: [
                "Content-Type": "application/vnd.docker.raw-stream", "Connection": "Upgrade", "Upgrade": "tcp",
            ])
            response.omitsStandardHeaders = true
            response.body = .hijack { stream in
                // Echo until the client half-closes, then say goodbye: a zero-byte read is not a hang-up.
                while true {
                    let bytes = try await stream.read()
                    if bytes.isEmpty { break }
                    try await stream.write(bytes)
                }
                try await stream.write(Array("bye\n".utf8))
            }
            return response
        }
        extraRoutes(&router)
        var middleware: [any Middleware] = [LoggingMiddleware(logger: Logger(sink: LogSink(fd: -1, level: .fatal)))]
        if let cors { middleware.append(CORSMiddleware(allowOrigin: { cors }, allowHeaders: "Content-Type", allowMethods: "GET, POST")) }
        middleware.append(APIVersionMiddleware(versionPolicy))
        return Service(router: router, middleware: middleware)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String { "something broke" }
}
