import BerthCore

/// A request the parser refuses. The connection answers with `status` (exactly: 414 and 431 are
/// not kinds of their own), the message as the server's JSON error body and `Connection: close`,
/// then closes. As a `KindedError` it is the client's fault, or an unsupported HTTP version.
public struct HTTPParseError: KindedError, Equatable, CustomStringConvertible {
    public let status: HTTPStatus
    public let message: String

    public init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var kind: ErrorKind { status.code >= 500 ? .notImplemented : .invalidParameter }

    public var description: String { "\(status.code): \(message)" }

    static func bad(_ message: String) -> HTTPParseError { HTTPParseError(.badRequest, message) }
}
