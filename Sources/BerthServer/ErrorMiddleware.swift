/// Turns an error thrown below it into Docker's error response (via `ErrorResponse`). Innermost,
/// so the middleware above it decorates error responses like any other.
public struct ErrorMiddleware: Middleware {
    public init() {}

    public func respond(to request: Request, context: RequestContext, next: Responder) async throws -> Response {
        do {
            return try await next.respond(to: request, context: context)
        } catch {
            return ErrorResponse.response(for: error)
        }
    }
}
