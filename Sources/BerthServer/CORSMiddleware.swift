/// Adds CORS fields to every routed response while an allowed origin is configured: the origin
/// verbatim, and the header and method lists the API allows.
public struct CORSMiddleware: Middleware {
    /// The origin to allow, read per request so that a configuration reload can change it; nil or
    /// "" sends no CORS fields.
    let allowOrigin: @Sendable () -> String?
    let allowHeaders: String
    let allowMethods: String

    /// - Parameters:
    ///   - allowHeaders: the `Access-Control-Allow-Headers` value.
    ///   - allowMethods: the `Access-Control-Allow-Methods` value.
    public init(allowOrigin: @escaping @Sendable () -> String?, allowHeaders: String, allowMethods: String) {
        self.allowOrigin = allowOrigin
        self.allowHeaders = allowHeaders
        self.allowMethods = allowMethods
    }

    public func didRespond(to request: Request, context: RequestContext, response: inout Response) {
        guard let allowOrigin = allowOrigin(), !allowOrigin.isEmpty else { return }
        response.headers.set("Access-Control-Allow-Origin", allowOrigin)
        response.headers.set("Access-Control-Allow-Headers", allowHeaders)
        response.headers.set("Access-Control-Allow-Methods", allowMethods)
    }
}
