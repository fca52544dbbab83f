import BerthSync
import Synchronization

/// Whether a server is shutting down and until when requests in flight may run. Shared by the
/// connection registry (which starts the shutdown and enforces the deadline) and every
/// connection's `CancellationSource` (which reports it to handlers).
final class ShutdownSchedule: Sendable {
    private let begun = Atomic<Bool>(false)
    private let end = Locked<ContinuousClock.Instant?>(nil)

    /// Whether a graceful shutdown has begun.
    var isShuttingDown: Bool { begun.load(ordering: .sequentiallyConsistent) }

    /// When requests still running will be cancelled, if the shutdown has a timeout.
    var deadline: ContinuousClock.Instant? { end.withLock { $0 } }

    /// Whether the shutdown has begun and its deadline has passed.
    var isPastDeadline: Bool {
        guard isShuttingDown, let deadline else { return false }
        return ContinuousClock.now >= deadline
    }

    /// Begins the shutdown; requests may run until `deadline` (nil: until they finish).
    func begin(deadline: ContinuousClock.Instant?) {
        end.withLock { $0 = deadline }
        begun.store(true, ordering: .sequentiallyConsistent)
    }
}
