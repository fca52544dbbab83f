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

    public init(minimum: APIVersion, maximum: APIVersion, serverHeader: String, experimental: Bool = false) {
        self.minimum = minimum
        self.maximum = maximum
        self.serverHeader = serverHeader
        self.experimental = experimental
    }

    public func respond(to request: Request, context: RequestContext, next: Responder) async throws -> Response {
        var context = context
        if let text = context.requestedVersion {
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
        } else {
            context.apiVersion = maximum
        }
        var response = try await next.respond(to: request, context: context)
        if !response.omitsStandardHeaders { stamp(&response, experimentalField: true) }
        return response
    }

    private func stamp(_ response: inout Response, experimentalField: Bool) {
        response.headers.setIfAbsent("Api-Version", maximum.text)
        if experimentalField { response.headers.setIfAbsent("Docker-Experimental", experimental ? "true" : "false") }
        response.headers.setIfAbsent("Ostype", "linux")
        response.headers.setIfAbsent("Server", serverHeader)
    }
}
