import BerthCore
import BerthLogging

/// Logs requests. At debug level: dockerd's `Calling GET /v1.41/version` before the handler, and
/// an access line after it (request id, method, route, status, bytes, duration, peer). An error
/// sent to a client is logged with the request's id: a 5xx at error level, so at the default
/// level too, and anything else at debug. At the default level a request that succeeds costs two
/// level checks and writes nothing, as with dockerd.
public struct LoggingMiddleware: Middleware {
    let logger: Logger
    /// The level of the access line (debug unless asked otherwise).
    let accessLevel: LogLevel

    public init(logger: Logger = Logger(), accessLevel: LogLevel = .debug) {
        self.logger = logger
        self.accessLevel = accessLevel
    }

    public func willRespond(to request: Request, context: inout RequestContext) throws -> Response? {
        if logger.isEnabled(.debug) {
            logger.debug("Calling \(request.method) \(request.head.target)", [("request-id", context.requestIDText)])
        }
        return nil
    }

    public func didRespond(to request: Request, context: RequestContext, response: inout Response) {
        let code = response.status.code
        if code >= 400 {
            let level: LogLevel = code >= 500 ? .error : .debug
            if logger.isEnabled(level), let message = response.errorMessage {
                logger.log(level, "Handler for \(request.method) \(request.path) returned error: \(message)",
                           [("request-id", context.requestIDText), ("status", "\(code)")])
            }
        }
        guard logger.isEnabled(accessLevel) else { return }
        var bytes = "stream"
        if case .bytes(let body) = response.body { bytes = String(body.count) } else if case .empty = response.body { bytes = "0" }
        logger.log(accessLevel, "\(request.method) \(request.path)", [
            ("request-id", context.requestIDText), ("method", "\(request.method)"), ("route", context.routeTemplate),
            ("status", "\(code)"), ("bytes", bytes), ("duration", Self.format(ContinuousClock.now - context.start)),
            ("peer", context.peer),
        ])
    }

    /// A duration as Go prints one: `231.7µs`, `12.5ms`, `1.2s`.
    static func format(_ duration: Duration) -> String {
        let micros = duration.seconds * 1e6
        func oneDecimal(_ v: Double) -> String { String(Double(Int(v * 10)) / 10) }
        if micros < 1000 { return oneDecimal(micros) + "µs" }
        if micros < 1e6 { return oneDecimal(micros / 1000) + "ms" }
        return oneDecimal(micros / 1e6) + "s"
    }
}
