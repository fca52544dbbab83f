/// A value settled once, by whichever of several racing tasks gets there first; `value()`
/// suspends until then. Any number of tasks may wait; a cancelled one stops waiting without
/// disturbing the others.
public final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [UInt64: CheckedContinuation<Value?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Locked(State())

    public init() {}

    /// Settles the value; later calls do nothing.
    public func settle(_ value: Value) {
        let waiters = state.withLock { s -> [CheckedContinuation<Value?, Never>] in
            guard s.value == nil else { return [] }
            s.value = value
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value once settled, or nil before.
    public var settled: Value? { state.withLock { $0.value } }

    /// Waits for the value (ignoring cancellation).
    public func value() async -> Value {
        while true {
            if let value = await wait(cancellable: false) { return value }
        }
    }

    /// Waits for the value; throws `CancellationError` if the task is cancelled first.
    public func valueUnlessCancelled() async throws -> Value {
        guard let value = await wait(cancellable: true) else { throw CancellationError() }
        return value
    }

    /// The value, or nil if `limit` passes (or the task is cancelled) first.
    public func value(within limit: Duration) async -> Value? {
        await withTaskGroup(of: Value?.self) { group in
            group.addTask { try? await self.valueUnlessCancelled() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func wait(cancellable: Bool) async -> Value? {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let ready = state.withLock { s -> (Bool, Value?) in
                    if let value = s.value { return (true, value) }
                    if cancellable, Task.isCancelled { return (true, nil) }
                    s.waiters[id] = continuation
                    return (false, nil)
                }
                if ready.0 { continuation.resume(returning: ready.1) }
            }
        } onCancel: {
            guard cancellable else { return }
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}
