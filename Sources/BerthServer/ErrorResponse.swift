import BerthCore
import BerthHTTP

/// The one place where an error becomes a response: a JSON body `{"message": …}` (the Docker
/// API's error form) with the status of the error's kind. A request the parser refused keeps the
/// exact status it carries (414, 431, 505, …).
public enum ErrorResponse {
    public static func response(for error: any Error) -> Response {
        let (status, message) = statusAndMessage(for: error)
        return .error(message, status: status)
    }

    public static func statusAndMessage(for error: any Error) -> (HTTPStatus, String) {
        if let error = error as? HTTPParseError { return (error.status, error.message) }
        let (kind, message) = ErrorKind.classify(error)
        return (status(for: kind), message)
    }

    /// The HTTP status of each kind of error.
    public static func status(for kind: ErrorKind) -> HTTPStatus {
        switch kind {
        case .invalidParameter: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .notImplemented: .notImplemented
        case .unavailable: .serviceUnavailable
        case .system: .internalServerError
        }
    }

    /// The error body: `{"message":"…"}` and a newline, as Go's JSON encoder writes it.
    public static func body(_ message: String) -> [UInt8] {
        var out: [UInt8] = Array(#"{"message":"#.utf8)
        out.reserveCapacity(out.count + message.utf8.count + 4)
        JSONText.appendQuoted(message, to: &out)
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}
