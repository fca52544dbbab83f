/// A request's cancellation, as its handler sees it: whether the server cancelled the request, why,
/// and the deadline by which it will. `RequestContext.cancellation` carries it.
///
/// Cancellation flows down the task tree, context-style: server ⊃ connection ⊃ request ⊃ job. The
/// server cancels a request's task when its client hangs up during a slow request, and when a
/// graceful shutdown's deadline passes; a job the handler runs is cancelled with it (the engine
/// forwards cancellation to the job's task). Handlers observe it as Swift task cancellation
/// (`Task.isCancelled`, `CancellationError` from awaits) and can ask here why.
public struct RequestCancellation: Sendable {
    /// Why the server cancelled a request.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// The client hung up while the request was being handled.
        case clientHungUp
        /// A graceful shutdown's deadline passed before the request finished.
        case shutdown

        public var description: String {
            switch self {
            case .clientHungUp: "client hung up"
            case .shutdown: "shutdown deadline passed"
            }
        }
    }

    let source: CancellationSource?
    let request: UInt64

    init(source: CancellationSource?, request: UInt64) {
        self.source = source
        self.request = request
    }

    /// A request no server will cancel (for handlers called directly, as in tests).
    public static let never = RequestCancellation(source: nil, request: 0)

    /// Why the server cancelled this request, or nil while it has not.
    public var reason: Reason? { source?.reason(for: request) }

    public var isCancelled: Bool { reason != nil }

    /// When the server will cancel this request if it has not finished: set once a graceful
    /// shutdown with a timeout begins, nil before. Requests carry no deadline of their own.
    public var deadline: ContinuousClock.Instant? { source?.schedule.deadline }

    /// Throws `CancellationError` if the server cancelled this request.
    public func checkCancellation() throws {
        if isCancelled { throw CancellationError() }
    }
}
