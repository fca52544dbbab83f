/// A step around request handling (metrics, logging, CORS, versioning). Middleware is composed
/// once at start-up into a `MiddlewareChain`. Each step is a pair of synchronous hooks rather than
/// an async wrapper, so a request pays for no async frame and no executor check per step.
public protocol Middleware: Sendable {
    /// Runs before the handler, outermost step first. It may update the context, or answer the
    /// request itself by returning a response: the inner steps and the handler are then skipped.
    /// A thrown error becomes Docker's error response (via `ErrorResponse`).
    func willRespond(to request: Request, context: inout RequestContext) throws -> Response?

    /// Runs after the handler, innermost step first, for every step whose `willRespond` ran, with
    /// whatever answered: the handler, an inner step, or the error mapping.
    func didRespond(to request: Request, context: RequestContext, response: inout Response)
}

extension Middleware {
    public func willRespond(to request: Request, context: inout RequestContext) throws -> Response? { nil }
    public func didRespond(to request: Request, context: RequestContext, response: inout Response) {}
}

/// The middleware around the matched route's handler. Errors thrown by a step or the handler are
/// mapped to a response here, innermost, so every step sees error responses like any other.
public struct MiddlewareChain: Sendable {
    private let steps: [any Middleware]

    /// `steps` run outermost first.
    public init(_ steps: [any Middleware]) {
        self.steps = steps
    }

    @inline(__always)
    public func respond(to request: Request, context: RequestContext) async -> Response {
        var context = context
        var entered = 0
        var response: Response
        do {
            var early: Response?
            for step in steps {
                entered += 1
                early = try step.willRespond(to: request, context: &context)
                if early != nil { break }
            }
            if let early {
                response = early
            } else {
                response = try await context.handler(request, context)
            }
        } catch {
            response = ErrorResponse.response(for: error)
        }
        for step in steps[..<entered].reversed() {
            step.didRespond(to: request, context: context, response: &response)
        }
        return response
    }
}
