/// Adds Docker's CORS fields to every routed response when `--api-cors-header` is set
/// (spec §2.7): the configured origin verbatim and fixed lists of headers and methods.
public struct CORSMiddleware: Middleware {
    /// The origin to allow, read per request so a configuration reload can change it; nil or ""
    /// sends no CORS fields.
    let allowOrigin: @Sendable () -> String?

    public init(allowOrigin: String) {
        self.allowOrigin = { allowOrigin }
    }

    public init(allowOrigin: @escaping @Sendable () -> String?) {
        self.allowOrigin = allowOrigin
    }

    public func didRespond(to request: Request, context: RequestContext, response: inout Response) {
        guard let allowOrigin = allowOrigin(), !allowOrigin.isEmpty else { return }
        response.headers.set("Access-Control-Allow-Origin", allowOrigin)
        response.headers.set("Access-Control-Allow-Headers", "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth")
        response.headers.set("Access-Control-Allow-Methods", "HEAD, GET, POST, DELETE, PUT, OPTIONS")
    }
}
