/// A request the parser refuses. The connection answers with `status`, the message as Docker's
/// JSON body and `Connection: close`, then closes.
public struct HTTPParseError: StatusCarryingError, Equatable, CustomStringConvertible {
    public let status: HTTPStatus
    public let message: String

    public init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code): \(message)" }

    static func bad(_ message: String) -> HTTPParseError { HTTPParseError(.badRequest, message) }
}
