/// The error family of the API: each kind maps to one HTTP status.
public struct APIError: StatusCarryingError, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case invalidParameter, unauthorized, forbidden, notFound, conflict
        case notImplemented, unavailable, system
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var status: HTTPStatus {
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

    public var description: String { message }

    public static func invalidParameter(_ message: String) -> APIError { APIError(.invalidParameter, message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    public static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }
    public static func notImplemented(_ message: String) -> APIError { APIError(.notImplemented, message) }
    public static func unavailable(_ message: String) -> APIError { APIError(.unavailable, message) }
    public static func system(_ message: String) -> APIError { APIError(.system, message) }
}
