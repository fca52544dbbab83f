import BerthSync
import Synchronization

/// One connection's means of cancelling the request it is handling, from another thread: the
/// hang-up watch and the shutdown deadline use it. It numbers the connection's requests, so a
/// `RequestCancellation` that outlives its request never reports a later request's fate.
///
/// The request runs in the connection's own task, so cancelling it means cancelling that task,
/// and Swift offers no handle on the current task other than `UnsafeCurrentTask`. Keeping one
/// past `withUnsafeCurrentTask` is sound here, and only here, because:
/// 1. `bindCurrentTask()` binds the task that calls it, and `unbindCurrentTask()` must be called
///    by that same task (checked): the task is running code between the two, so it is alive
///    whenever it is bound; the connection unbinds in a `defer` of the function that binds.
/// 2. `cancel` and `unbindCurrentTask` take the same lock, so a cancel either happens while the
///    task is bound and alive, or finds nothing bound.
/// 3. Cancelling a task from another thread is what `Task.cancel()` does (`swift_task_cancel` is
///    thread-safe); nothing else is done with the reference.
/// A child task per request would give a real `Task` handle, at a cost on every request (an
/// allocation and two thread hops) for the few that are ever cancelled.
final class CancellationSource: Sendable {
    private struct State: Sendable {
        var task: BoundTask?
        /// The request cancelled most recently, and why.
        var cancelled: (request: UInt64, reason: RequestCancellation.Reason)?
    }

    /// The connection's task while bound.
    // @unchecked Sendable: only used under `state`'s lock, and only while the task is alive
    // (see the type's note).
    private struct BoundTask: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    let schedule: ShutdownSchedule
    private let state = Locked(State())
    private let requests = Atomic<UInt64>(0)

    init(schedule: ShutdownSchedule) {
        self.schedule = schedule
    }

    /// Binds the calling task: from now until `unbindCurrentTask()`, `cancel` cancels it.
    func bindCurrentTask() {
        withUnsafeCurrentTask { task in
            state.withLock { s in
                precondition(s.task == nil, "a connection's task is bound once")
                s.task = task.map(BoundTask.init)
            }
        }
    }

    /// Unbinds the task; must be called by the task that bound itself, before it ends.
    func unbindCurrentTask() {
        withUnsafeCurrentTask { task in
            state.withLock { s in
                precondition(s.task == nil || s.task?.task == task, "only the bound task may unbind itself")
                s.task = nil
            }
        }
    }

    /// Numbers a new request on this connection.
    func beginRequest() -> RequestCancellation {
        RequestCancellation(source: self, request: requests.add(1, ordering: .relaxed).newValue)
    }

    /// Cancels the request being handled now (and so the connection's task), for `reason`.
    func cancel(_ reason: RequestCancellation.Reason) {
        state.withLock { s in
            s.cancelled = (requests.load(ordering: .relaxed), reason)
            s.task?.task.cancel()
        }
    }

    /// Why `request` was cancelled, if it was: by `cancel`, or by a shutdown deadline that passed
    /// while it ran.
    func reason(for request: UInt64) -> RequestCancellation.Reason? {
        if let cancelled = state.withLock({ $0.cancelled }), cancelled.request == request { return cancelled.reason }
        return request == requests.load(ordering: .relaxed) && schedule.isPastDeadline ? .shutdown : nil
    }
}
