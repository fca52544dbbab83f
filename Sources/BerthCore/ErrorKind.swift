/// What kind of failure an error is, independent of how it reaches anyone: the server maps each
/// kind to an HTTP status in one place (`ErrorResponse`), a job records it in its status.
public enum ErrorKind: Sendable, Hashable, CustomStringConvertible {
    /// The request was malformed or named something impossible (400).
    case invalidParameter
    /// The client did not authenticate (401).
    case unauthorized
    /// The client may not do this (403).
    case forbidden
    /// What the request names does not exist (404).
    case notFound
    /// The request conflicts with the current state (409).
    case conflict
    /// The daemon does not support this (501).
    case notImplemented
    /// The daemon cannot do this now: shutting down, or cancelled (503).
    case unavailable
    /// Anything else: a failure of the daemon or the system under it (500).
    case system

    public var description: String {
        switch self {
        case .invalidParameter: "invalid parameter"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not found"
        case .conflict: "conflict"
        case .notImplemented: "not implemented"
        case .unavailable: "unavailable"
        case .system: "system"
        }
    }

    /// The kind and the message of any error: the one mapping, used by jobs and by the server.
    /// A `KindedError` knows its own; a cancelled task is `unavailable` (`context canceled`, Go's
    /// text); JSON that does not decode is the client's fault (`invalidParameter`); anything else
    /// is `system`.
    public static func classify(_ error: any Error) -> (kind: ErrorKind, message: String) {
        switch error {
        case let error as any KindedError: (error.kind, error.message)
        case is CancellationError: (.unavailable, "context canceled")
        case is DecodingError, is JSONError: (.invalidParameter, "invalid JSON: \(error)")
        default: (.system, String(describing: error))
        }
    }
}
