import BerthSync
import Synchronization

/// A one-shot gate: `wait()` suspends until `open()`, which wakes every waiter at once (like
/// closing a channel), or until `fail(_:)`, which makes every waiter throw. Both are idempotent;
/// the first one wins. Listeners bind at start and wait here before they accept.
///
/// A class with a lock rather than an actor because a waiter's cancellation handler runs
/// synchronously and must withdraw its continuation right there.
public final class ActivationGate: Sendable {
    private enum State {
        case closed([UInt64: CheckedContinuation<Void, any Error>])
        case open
        case failed(any Error)
    }

    private let state = Locked<State>(.closed([:]))
    private let nextID = Atomic<UInt64>(0)

    public init() {}

    public var isOpen: Bool { state.withLock { if case .open = $0 { true } else { false } } }

    /// Suspends until the gate opens. Throws the failure if it failed, or `CancellationError`.
    public func wait() async throws {
        let id = nextID.add(1, ordering: .relaxed).newValue
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Now { case wait, resume, cancelled, fail(any Error) }
                let now = state.withLock { state -> Now in
                    switch state {
                    case .open: return .resume
                    case .failed(let error): return .fail(error)
                    case .closed(var waiters):
                        if Task.isCancelled { return .cancelled }
                        waiters[id] = continuation
                        state = .closed(waiters)
                        return .wait
                    }
                }
                switch now {
                case .wait: break
                case .resume: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .fail(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard case .closed(var waiters) = state, let continuation = waiters.removeValue(forKey: id) else { return nil }
                state = .closed(waiters)
                return continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Opens the gate and wakes every waiter.
    public func open() {
        for waiter in settle(.open) { waiter.resume() }
    }

    /// Fails the gate: every waiter, present and future, throws `error`.
    public func fail(_ error: any Error) {
        for waiter in settle(.failed(error)) { waiter.resume(throwing: error) }
    }

    private func settle(_ final: State) -> [CheckedContinuation<Void, any Error>] {
        state.withLock { state in
            guard case .closed(let waiters) = state else { return [] }
            state = final
            return Array(waiters.values)
        }
    }
}
