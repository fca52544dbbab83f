/// Counts every routed request by method, route template and status, and times it.
public struct MetricsMiddleware: Middleware {
    let metrics: ServerMetrics

    public init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    public func respond(to request: Request, context: RequestContext, next: Responder) async throws -> Response {
        let response = try await next.respond(to: request, context: context)
        metrics.record(method: request.method.description, route: context.routeTemplate, code: response.status.code,
                       duration: ContinuousClock.now - context.start)
        return response
    }
}
