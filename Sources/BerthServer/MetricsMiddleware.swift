/// Counts every routed request by method, route template and status, and times it.
public struct MetricsMiddleware: Middleware {
    let metrics: ServerMetrics

    public init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    public func didRespond(to request: Request, context: RequestContext, response: inout Response) {
        metrics.record(method: request.method.description, route: context.routeTemplate, code: response.status.code,
                       duration: ContinuousClock.now - context.start)
    }
}
