import BerthHTTP
import Synchronization

/// Routing and middleware, composed once: turns a parsed request into a response. The server
/// runs one per daemon; the test harness runs the same one in memory.
///
/// A class so that a connection's async frames hold a reference to it, not a copy of the router.
public final class Service: Sendable {
    public let router: Router
    /// The answer when no route matches the path (or the method), given without middleware.
    public let notFound: Response
    private let chain: MiddlewareChain
    private static let requestCounter = Atomic<UInt64>(0)

    /// - Parameters:
    ///   - middleware: runs outermost first, around the matched route's handler.
    ///   - notFound: the answer for an unknown route; by default Go's `404 page not found` text.
    public init(router: Router, middleware: [any Middleware], notFound: Response = Service.plainNotFound) {
        self.router = router
        self.notFound = notFound
        self.chain = MiddlewareChain(middleware)
    }

    /// Answers one request. Never throws: every error becomes a response here.
    ///
    /// Not inlined into the connection: this frame (with the middleware and the handler call
    /// inlined) and the handler's share one task-allocator slab, and the connection's outer frames
    /// another, so an idle connection keeps two slabs (CONTRIBUTING.md, Benchmarks).
    @inline(never)
    public func respond(to head: RequestHead, body: RequestBody, peer: String, listener: String,
                        cancellation: RequestCancellation = .never) async -> Response {
        switch prepare(head, body: body, peer: peer, listener: listener, cancellation: cancellation) {
        case .answered(let response): response
        case .routed(let routed): await chain.respond(routed)
        }
    }

    private enum Prepared {
        case answered(Response)
        case routed(RoutedRequest)
    }

    /// Everything before the handler: split, decode, clean and route. Synchronous and kept apart
    /// so that the async frame of `respond` stays small.
    @inline(never)
    private func prepare(_ head: RequestHead, body: RequestBody, peer: String, listener: String,
                         cancellation: RequestCancellation) -> Prepared {
        guard let (rawPath, rawQuery) = Self.split(target: head.target, method: head.method) else {
            return .answered(.error("malformed request target", status: .badRequest))
        }
        guard let path = PercentDecoding.decode(rawPath) else {
            return .answered(.error("invalid URL escape in path", status: .badRequest))
        }
        if let clean = PathCleaning.cleaned(path) {
            let location = rawQuery.isEmpty ? clean : clean + "?" + rawQuery
            return .answered(Response(status: .movedPermanently, headers: ["Location": location]))
        }
        guard let match = router.match(head.method, path: path) else {
            return .answered(notFound)
        }
        let context = RequestContext(
            requestID: Self.requestCounter.add(1, ordering: .relaxed).newValue, peer: peer, listener: listener,
            routeTemplate: match.route.template, pathParameters: match.parameters, requestedVersion: match.version,
            cancellation: cancellation, handler: match.route.handler)
        return .routed(RoutedRequest(Request(head: head, path: path, query: QueryParameters(rawQuery), body: body), context))
    }

    /// Go's `http.NotFound` answer: `404 page not found` as plain text.
    public static let plainNotFound = Response.text("404 page not found\n", status: .notFound)

    /// Splits a request target into path and query; absolute form (`http://host/x`) is accepted.
    static func split(target: String, method: HTTPMethod) -> (Substring, Substring)? {
        // Byte searches throughout: the delimiters are ASCII, so their UTF-8 indices are valid
        // indices of the string.
        var rest = Substring(target)
        if rest.utf8.first != 47 {
            guard let scheme = rest.firstRange(of: "://") else { return nil }
            let afterAuthority = rest[scheme.upperBound...]
            rest = afterAuthority.utf8.firstIndex(where: { $0 == 47 || $0 == 63 }).map { afterAuthority[$0...] } ?? "/"
            if rest.utf8.first == 63 { rest = "/" + rest }
        }
        if let mark = rest.utf8.firstIndex(of: 63) {
            return (rest[..<mark], rest[rest.utf8.index(after: mark)...])
        }
        return (rest, "")
    }
}
