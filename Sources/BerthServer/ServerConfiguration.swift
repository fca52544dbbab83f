import BerthHTTP
import BerthLogging

/// Tunables of the HTTP server.
public struct ServerConfiguration: Sendable {
    /// Request-line and header-block limits.
    public var limits = RequestHeadParser.Limits()
    /// A body a handler left unread is drained (to keep the connection) up to this many bytes;
    /// a larger one closes the connection after the response.
    public var maxBodyDrain = 256 * 1024
    /// How long a closing connection keeps reading (and dropping) input so that the client sees
    /// the last response rather than a reset.
    public var lingerDuration: Duration = .milliseconds(200)
    public var logger = Logger()

    public init() {}
}
