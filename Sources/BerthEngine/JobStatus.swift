import BerthCore

/// Where a job stands: not run yet, running, done, or failed with an error of a known kind.
public enum JobStatus: Sendable, Equatable {
    case pending
    case running
    case ok
    case failed(ErrorKind, String)

    public var isOK: Bool { self == .ok }
}
