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
struct MiddlewareChain: Sendable {
    private let steps: [any Middleware]

    /// `steps` run outermost first.
    init(_ steps: [any Middleware]) {
        self.steps = steps
    }

    /// Runs the steps and the handler for a routed request. The request lives in a box so that
    /// the async frames around the handler hold a reference, not copies (a task keeps the memory
    /// of its deepest frames while its connection sits idle).
    @inline(__always)
    func respond(_ routed: RoutedRequest) async -> Response {
        var response: Response
        if let early = enter(routed) {
            response = early
        } else {
            response = await Self.runHandler(routed)
        }
        leave(routed, &response)
        return response
    }

    /// Runs `willRespond` of each step until one answers (or throws).
    private func enter(_ routed: RoutedRequest) -> Response? {
        do {
            for step in steps {
                routed.entered += 1
                if let early = try step.willRespond(to: routed.request, context: &routed.context) { return early }
            }
            return nil
        } catch {
            return ErrorResponse.response(for: error)
        }
    }

    @inline(__always)  // into `Service.respond`: see its note on frames
    private static func runHandler(_ routed: RoutedRequest) async -> Response {
        do {
            return try await routed.context.handler(routed.request, routed.context)
        } catch {
            return ErrorResponse.response(for: error)
        }
    }

    /// Runs `didRespond` of each step entered, innermost first.
    private func leave(_ routed: RoutedRequest, _ response: inout Response) {
        for step in steps[..<routed.entered].reversed() {
            step.didRespond(to: routed.request, context: routed.context, response: &response)
        }
    }
}

/// A request on its way through the middleware: the request, its context as the steps update it,
/// and how many steps it entered.
final class RoutedRequest {
    let request: Request
    var context: RequestContext
    var entered = 0

    init(_ request: Request, _ context: RequestContext) {
        self.request = request
        self.context = context
    }
}
