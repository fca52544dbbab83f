import BerthHTTP

/// The one place where an error becomes a response: Docker's `{"message": …}` body with the
/// status the error knows, 500 for anything that does not know one.
public enum ErrorResponse {
    public static func response(for error: any Error) -> Response {
        let (status, message) = statusAndMessage(for: error)
        return .error(message, status: status)
    }

    public static func statusAndMessage(for error: any Error) -> (HTTPStatus, String) {
        switch error {
        case let error as any StatusCarryingError:
            return (error.status, error.message)
        case is CancellationError:
            return (.serviceUnavailable, "request canceled")
        case is DecodingError:
            return (.badRequest, "invalid JSON: \(error)")
        default:
            return (.internalServerError, String(describing: error))
        }
    }
}
