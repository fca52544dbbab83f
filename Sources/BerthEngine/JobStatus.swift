import BerthHTTP

/// Where a job stands: not run yet, running, done, or failed with an error that knows its status.
public enum JobStatus: Sendable, Equatable {
    case pending
    case running
    case ok
    case failed(HTTPStatus, String)

    public var isOK: Bool { self == .ok }
}
