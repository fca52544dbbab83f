import BerthHTTP
import BerthServer

/// The routes every Docker daemon answers regardless of backends: `/_ping` and the catch-all
/// `OPTIONS` (spec §2.7, §3.1).
public enum SystemRoutes {
    public static func register(on router: inout Router) {
        router.add(.get, "/_ping") { _, _ in ping }
        router.add(.head, "/_ping") { _, _ in pingHead }
        router.add(.options, "/{anyroute:.*}") { _, _ in Response(status: .ok) }
    }

    /// `OK`, uncacheable.
    static let ping = Response(status: .ok, headers: pingHeaders, body: .bytes(Array("OK".utf8)))
    /// dockerd's HEAD answer writes no body, so it carries `Content-Length: 0` (spec §3.1).
    static let pingHead = Response(status: .ok, headers: pingHeaders)

    private static let pingHeaders: HTTPHeaders = [
        "Cache-Control": "no-cache, no-store, must-revalidate",
        "Pragma": "no-cache",
        "Content-Type": "text/plain; charset=utf-8",
    ]
}
