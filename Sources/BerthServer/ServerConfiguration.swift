import BerthHTTP
import BerthLogging

/// Tunables of the HTTP server.
public struct ServerConfiguration: Sendable {
    /// Request-line and header-block limits.
    public var limits = RequestHeadParser.Limits()
    /// A body a handler left unread is read and discarded (to keep the connection) up to this many
    /// bytes; a larger one closes the connection after the response.
    public var maxBodyDiscard = 256 * 1024
    /// How long a closing connection keeps reading (and dropping) input so that the client sees
    /// the last response rather than a reset.
    public var lingerDuration: Duration = .milliseconds(200)
    public var logger = Logger()
    /// From the first byte of a request until its head is complete; a slower client is closed.
    public var headerReadTimeout: Duration = .seconds(10)
    /// How long a keep-alive connection may sit idle between requests.
    public var idleTimeout: Duration = .seconds(120)
    /// How long requests in flight may run once a graceful shutdown begins; then the server cancels
    /// them. Nil: as long as they take.
    public var shutdownTimeout: Duration? = nil
    /// How often deadlines are checked and long-running handlers start being watched.
    public var sweepInterval: Duration = .milliseconds(25)
    /// A request without a body whose handler is still running after this long is watched for its
    /// client hanging up, which cancels it: a hang-up is noticed within about this delay plus one
    /// sweep interval. Quicker requests never pay for a watch.
    public var hangUpWatchDelay: Duration = .milliseconds(40)

    public init() {}
}
