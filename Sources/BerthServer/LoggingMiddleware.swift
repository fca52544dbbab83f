import BerthLogging

/// Logs each request: dockerd's `Calling GET /v1.41/version` at debug level before the handler,
/// then one line with the request id, method, route, status, bytes and duration. Errors that
/// reach the client are logged with the same request id (5xx at error level, others at debug).
public struct LoggingMiddleware: Middleware {
    let logger: Logger
    let level: LogLevel

    public init(logger: Logger = Logger(), level: LogLevel = .info) {
        self.logger = logger
        self.level = level
    }

    private var isActive: Bool { logger.isEnabled(level) || logger.isEnabled(.debug) }

    public func willRespond(to request: Request, context: inout RequestContext) throws -> Response? {
        if isActive { logger.debug("Calling \(request.method) \(request.head.target)", [("request-id", context.requestIDText)]) }
        return nil
    }

    public func didRespond(to request: Request, context: RequestContext, response: inout Response) {
        guard isActive else { return }
        let elapsed = ContinuousClock.now - context.start
        if response.status.code >= 400, let message = response.errorMessage {
            logger.log(response.status.code >= 500 ? .error : .debug,
                       "Handler for \(request.method) \(request.path) returned error: \(message)",
                       [("request-id", context.requestIDText), ("status", "\(response.status.code)")])
        }
        var bytes = "stream"
        if case .bytes(let body) = response.body { bytes = String(body.count) } else if case .empty = response.body { bytes = "0" }
        logger.log(level, "\(request.method) \(request.path)", [
            ("request-id", context.requestIDText), ("method", "\(request.method)"), ("route", context.routeTemplate),
            ("status", "\(response.status.code)"), ("bytes", bytes), ("duration", Self.format(elapsed)), ("peer", context.peer),
        ])
    }

    /// A duration as Go prints one: `231.7µs`, `12.5ms`, `1.2s`.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
        func oneDecimal(_ v: Double) -> String { String(Double(Int(v * 10)) / 10) }
        if micros < 1000 { return oneDecimal(micros) + "µs" }
        if micros < 1e6 { return oneDecimal(micros / 1000) + "ms" }
        return oneDecimal(micros / 1e6) + "s"
    }
}
