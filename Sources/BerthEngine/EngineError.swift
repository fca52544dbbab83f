import BerthHTTP

/// Errors of the engine itself.
public struct EngineError: StatusCarryingError, Equatable, CustomStringConvertible {
    public let status: HTTPStatus
    public let message: String

    public var description: String { message }

    /// The engine no longer takes jobs.
    public static let shuttingDown = EngineError(status: .serviceUnavailable, message: "engine is shutting down")

    /// No handler is registered under the name.
    public static func noSuchJob(_ name: String) -> EngineError {
        EngineError(status: .notFound, message: "no such job: \(name)")
    }

    /// A job was run a second time.
    public static func alreadyRun(_ name: String) -> EngineError {
        EngineError(status: .internalServerError, message: "job \(name) has already run")
    }
}
