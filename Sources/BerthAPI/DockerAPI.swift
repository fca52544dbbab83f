import BerthHTTP
import BerthServer

/// The Docker Engine API's conventions, which the general HTTP server is configured with. Each is
/// what dockerd 20.10 sends: the standard fields on every response, the answers to an API version
/// out of range, the 404 body, and the CORS lists.
public enum DockerAPI {
    /// The API version served, the highest a client may ask for.
    public static let version = "1.41"
    /// The lowest API version a client may ask for.
    public static let minimumVersion = "1.24"

    /// The answer to an unknown route or method, given without any middleware:
    /// `{"message":"page not found"}` with no standard fields.
    public static let notFound = Response.error("page not found", status: .notFound)

    /// `Api-Version`, `Docker-Experimental`, `Ostype` and `Server` (`server`) on every response. A version
    /// error carries them without `Docker-Experimental`. Too new is a JSON 400; too old is a
    /// plain-text 400 with `X-Content-Type-Options: nosniff`.
    public static func versionPolicy(server: String) -> APIVersionMiddleware.Policy {
        let maximum = APIVersion(version)
        let common: [(String, String)] = [("Api-Version", maximum.text), ("Ostype", "linux"), ("Server", server)]
        return APIVersionMiddleware.Policy(
            minimum: APIVersion(minimumVersion), maximum: maximum,
            fields: HTTPHeaders([common[0], ("Docker-Experimental", "false"), common[1], common[2]].map { (name: $0.0, value: $0.1) }),
            versionErrorFields: HTTPHeaders(common.map { (name: $0.0, value: $0.1) }),
            tooNew: { requested, maximum in
                .error("client version \(requested) is too new. Maximum supported API version is \(maximum)", status: .badRequest)
            },
            tooOld: { requested, minimum in
                var response = Response.text(
                    "client version \(requested) is too old. Minimum supported API version is \(minimum), please upgrade your client to a newer version\n",
                    status: .badRequest)
                response.headers.set("X-Content-Type-Options", "nosniff")
                return response
            })
    }

    /// `Access-Control-Allow-Headers` when `--api-cors-header` is set.
    public static let corsAllowHeaders = "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth"
    /// `Access-Control-Allow-Methods` when `--api-cors-header` is set.
    public static let corsAllowMethods = "HEAD, GET, POST, DELETE, PUT, OPTIONS"
}
