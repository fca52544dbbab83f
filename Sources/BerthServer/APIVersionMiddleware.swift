import BerthHTTP

/// Checks the `/v{version}` of a request against the supported range and stamps every response
/// with the daemon's standard fields (spec §2.2, §2.3). Texts, statuses and fields are dockerd's:
/// too new is a JSON 400; too old is a plain-text 400 with `X-Content-Type-Options: nosniff`;
/// neither carries `Docker-Experimental`.
public struct APIVersionMiddleware: Middleware {
    public let minimum: APIVersion
    public let maximum: APIVersion
    public let serverHeader: String
    public let experimental: Bool
    /// The standard fields, built once: with `Docker-Experimental`, and without it.
    private let standard: HTTPHeaders
    private let standardWithoutExperimental: HTTPHeaders

    public init(minimum: APIVersion, maximum: APIVersion, serverHeader: String, experimental: Bool = false) {
        self.minimum = minimum
        self.maximum = maximum
        self.serverHeader = serverHeader
        self.experimental = experimental
        standard = [("Api-Version", maximum.text), ("Docker-Experimental", experimental ? "true" : "false"),
                    ("Ostype", "linux"), ("Server", serverHeader)].reduce(into: HTTPHeaders()) { $0.add($1.0, $1.1) }
        standardWithoutExperimental = [("Api-Version", maximum.text), ("Ostype", "linux"), ("Server", serverHeader)]
            .reduce(into: HTTPHeaders()) { $0.add($1.0, $1.1) }
    }

    public func willRespond(to request: Request, context: inout RequestContext) throws -> Response? {
        guard let text = context.requestedVersion else {
            context.apiVersion = maximum
            return nil
        }
        let requested = APIVersion(text)
        if requested > maximum {
            var response = Response.error(
                "client version \(text) is too new. Maximum supported API version is \(maximum)", status: .badRequest)
            stamp(&response, experimentalField: false)
            return response
        }
        if requested < minimum {
            var response = Response.text(
                "client version \(text) is too old. Minimum supported API version is \(minimum), please upgrade your client to a newer version\n",
                status: .badRequest)
            response.headers.set("X-Content-Type-Options", "nosniff")
            stamp(&response, experimentalField: false)
            return response
        }
        context.apiVersion = requested
        return nil
    }

    public func didRespond(to request: Request, context: RequestContext, response: inout Response) {
        if !response.omitsStandardHeaders && !response.isStamped { stamp(&response, experimentalField: true) }
    }

    /// Adds each standard field the handler did not set itself.
    private func stamp(_ response: inout Response, experimentalField: Bool) {
        let fields = experimentalField ? standard : standardWithoutExperimental
        if response.headers.containsAny(of: fields) {
            for field in fields { response.headers.setIfAbsent(field.name, field.value) }
        } else {
            response.standardFields = fields
        }
        response.isStamped = true
    }
}
