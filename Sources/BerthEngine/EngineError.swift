import BerthCore

/// Errors of the engine itself.
public struct EngineError: KindedError, Equatable, CustomStringConvertible {
    public let kind: ErrorKind
    public let message: String

    public var description: String { message }

    /// The engine no longer takes jobs.
    public static let shuttingDown = EngineError(kind: .unavailable, message: "engine is shutting down")

    /// No handler is registered under the name.
    public static func noSuchJob(_ name: String) -> EngineError {
        EngineError(kind: .notFound, message: "no such job: \(name)")
    }

    /// A job was run a second time.
    public static func alreadyRun(_ name: String) -> EngineError {
        EngineError(kind: .system, message: "job \(name) has already run")
    }
}
