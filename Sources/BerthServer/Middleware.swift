/// A step around request handling (logging, CORS, versioning, error mapping). Middleware is
/// composed once at start-up into a chain of `Responder`s; nothing is built per request.
public protocol Middleware: Sendable {
    func respond(to request: Request, context: RequestContext, next: Responder) async throws -> Response
}

/// The next step of the chain.
public struct Responder: Sendable {
    private let run: @Sendable (Request, RequestContext) async throws -> Response

    public init(_ run: @escaping @Sendable (Request, RequestContext) async throws -> Response) {
        self.run = run
    }

    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await run(request, context)
    }

    /// Composes `middleware` (first is outermost) around `terminal`.
    public static func chain(_ middleware: [any Middleware], around terminal: Responder) -> Responder {
        middleware.reversed().reduce(terminal) { next, step in
            Responder { request, context in try await step.respond(to: request, context: context, next: next) }
        }
    }
}
