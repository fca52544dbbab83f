import BerthCore
import BerthHTTP

/// What the server knows about a request beyond its bytes: its id, where it came from, the route
/// and API version it matched, and its cancellation and deadline (`cancellation`). Handlers and
/// middleware read it; middleware passes an updated copy down the chain.
public struct RequestContext: Sendable {
    /// Unique within this process; appears in logs.
    public let requestID: UInt64
    /// The client's address (`127.0.0.1:53122`, `unix`).
    public let peer: String
    /// The listener the connection came in on.
    public let listener: String
    /// The route template that matched, e.g. `/containers/{name}/json`.
    public let routeTemplate: String
    /// Variables captured by the route template.
    public let pathParameters: PathParameters
    /// The version in the path (`1.41` from `/v1.41/…`), or nil for an unversioned path.
    public let requestedVersion: Substring?
    /// The API version the request is served at; set by the version middleware.
    public var apiVersion: APIVersion?
    /// When the request head was complete.
    public let start: ContinuousClock.Instant
    /// Whether, why and by when the server cancels this request (client hang-up, shutdown).
    public let cancellation: RequestCancellation
    /// The matched route's handler, run at the end of the middleware chain.
    let handler: Handler

    public init(requestID: UInt64, peer: String, listener: String, routeTemplate: String,
                pathParameters: PathParameters, requestedVersion: Substring?, start: ContinuousClock.Instant = .now,
                cancellation: RequestCancellation = .never, handler: @escaping Handler) {
        self.requestID = requestID
        self.peer = peer
        self.listener = listener
        self.routeTemplate = routeTemplate
        self.pathParameters = pathParameters
        self.requestedVersion = requestedVersion
        self.start = start
        self.cancellation = cancellation
        self.handler = handler
    }

    /// The request id as logs print it.
    public var requestIDText: String {
        let hex = String(requestID, radix: 16)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// A route variable. A route without a variable of that name is a programming error: a 500.
    public func parameter(_ name: String) throws -> String {
        guard let value = pathParameters[name] else { throw APIError.system("route has no variable \(name)") }
        return value
    }
}

/// The variables a route template captured, in template order.
public struct PathParameters: Sendable {
    public private(set) var pairs: [(name: String, value: String)] = []

    public init(_ pairs: [(name: String, value: String)] = []) {
        self.pairs = pairs
    }

    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    mutating func append(_ name: String, _ value: String) { pairs.append((name, value)) }
}
