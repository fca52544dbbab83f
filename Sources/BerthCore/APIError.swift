/// The daemon's general error: a kind and a message (`No such container: x`).
public struct APIError: KindedError, CustomStringConvertible, Equatable {
    public let kind: ErrorKind
    public let message: String

    public init(_ kind: ErrorKind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public static func invalidParameter(_ message: String) -> APIError { APIError(.invalidParameter, message) }
    public static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, message) }
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    public static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }
    public static func notImplemented(_ message: String) -> APIError { APIError(.notImplemented, message) }
    public static func unavailable(_ message: String) -> APIError { APIError(.unavailable, message) }
    public static func system(_ message: String) -> APIError { APIError(.system, message) }
}
