import BerthCore
import BerthHTTP
import BerthServer
import FoundationEssentials

/// The system endpoints: `/_ping` (answered here: it is the hot path), `/version`, `/info`,
/// `/events`, and the catch-all `OPTIONS`.
public struct SystemRouter: APIRouter {
    let backend: any SystemBackend

    public init(backend: any SystemBackend) {
        self.backend = backend
    }

    public func register(on router: inout Router) {
        router.add(.get, "/_ping") { _, _ in Self.ping }
        router.add(.head, "/_ping") { _, _ in Self.pingHead }
        router.add(.options, "/{anyroute:.*}") { _, _ in Response(status: .ok) }
        router.add(.get, "/version") { [backend] _, _ in try .json(try await backend.version()) }
        router.add(.get, "/info") { [backend] _, _ in try .json(try await backend.info()) }
        router.add(.get, "/system/df") { [backend] _, _ in try .json(try await backend.diskUsage()) }
        router.add(.get, "/events") { [backend] request, _ in
            // Checked before the stream starts, so that bad values get a 400.
            let (since, until, filter) = try Self.eventsQuery(request.query)
            return .stream { writer in
                let encoder = JSONEncoder.goStyle()
                try await backend.events(since: since, until: until, filter: filter) { event in
                    var line = Array(try encoder.encode(event))
                    line.append(10)
                    try await writer.write(line)
                }
            }
        }
    }

    /// `since`, `until` (Unix nanoseconds) and `filters` of an events request.
    static func eventsQuery(_ query: QueryParameters) throws -> (since: Int64?, until: Int64?, filter: EventFilter) {
        let now = Timestamp.nowNanoseconds()
        let since = try query["since"].flatMap { $0.isEmpty ? nil : try APITimestamp.parse($0, now: now) }
        let until = try query["until"].flatMap { $0.isEmpty ? nil : try APITimestamp.parse($0, now: now) }
        let filter = try query["filters"].map { try EventFilter(json: $0) } ?? EventFilter()
        return (since, until, filter)
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
