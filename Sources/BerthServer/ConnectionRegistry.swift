import BerthSync
import BerthTransport
import Synchronization

/// Every open connection and what it is doing, for graceful shutdown, deadlines and operators.
///
/// Each connection reports its state changes on its own `ConnectionRecord` with one atomic
/// compare-and-swap, so a request costs no lock and no lookup; the registry's lock is taken only
/// to add and remove connections and to walk them. A sweeper calls `sweep` periodically to enforce
/// the header-read and idle deadlines, so no read carries a timer of its own. Shutdown (`beginShutdown`)
/// interrupts idle and hijacked connections at once and leaves requests in flight to finish.
public final class ConnectionRegistry: Sendable {
    public enum State: UInt8, Sendable, CustomStringConvertible {
        /// Waiting for the first byte of a request.
        case idle
        /// Part of a request head has arrived.
        case readingHead
        /// A request is being handled or its response written.
        case active
        /// A streamed response is being written.
        case streaming
        /// The connection has been hijacked (raw two-way stream).
        case hijacked

        public var description: String {
            switch self {
            case .idle: "idle"
            case .readingHead: "reading-head"
            case .active: "active"
            case .streaming: "streaming"
            case .hijacked: "hijacked"
            }
        }
    }

    /// What an operator sees of a connection.
    public struct Snapshot: Sendable {
        public let id: UInt64
        public let peer: String
        public let listener: String
        public let state: State
        public let opened: ContinuousClock.Instant
        public let stateSince: ContinuousClock.Instant
        public let bytesIn: Int
        public let bytesOut: Int
    }

    private struct Registry {
        var records: [UInt64: ConnectionRecord] = [:]
        var nextID: UInt64 = 0
        var accepted: UInt64 = 0
        var acceptedByListener: [String: UInt64] = [:]
    }

    private let registry = Locked(Registry())
    private let schedule = ShutdownSchedule()
    /// The shutdown deadline has been enforced (every connection left was cancelled).
    private let deadlineEnforced = Atomic<Bool>(false)

    public init() {}

    /// Adds a new connection served by the current task, which the registry cancels if the client
    /// hangs up during a slow request. Nil when the server is shutting down (close it at once).
    func register(_ channel: any ByteChannel, counter: ByteCounter, listener: String) -> ConnectionRecord? {
        guard !isShuttingDown else { return nil }
        let record = registry.withLock { r -> ConnectionRecord in
            r.nextID += 1
            r.accepted += 1
            r.acceptedByListener[listener, default: 0] += 1
            let record = ConnectionRecord(id: r.nextID, channel: channel, counter: counter, listener: listener,
                                          schedule: schedule)
            r.records[r.nextID] = record
            return record
        }
        record.adoptCurrentTask()
        // A shutdown that began meanwhile may have missed the new record; it must not stay.
        guard !isShuttingDown else {
            remove(record)
            return nil
        }
        return record
    }

    /// Removes a connection. Call from its task, before the task ends.
    func remove(_ record: ConnectionRecord) {
        record.release()
        _ = registry.withLock { $0.records.removeValue(forKey: record.id) }
    }

    /// Records a new state. Returns false when the connection has been interrupted, or when it
    /// would go idle while the server shuts down: it should wind down. A request that may be watched
    /// for its client hanging up enters `.active` with `watchable`.
    func transition(_ record: ConnectionRecord, to state: State, watchable: Bool = false) -> Bool {
        guard record.set(state, watchable: watchable) else { return false }
        // Pairs with `beginShutdown`: either it sees this connection idle, or this sees the shutdown.
        return !(state == .idle && isShuttingDown)
    }

    /// Starts a watch on every watchable request that has been running for longer than `after`:
    /// when its client hangs up, the connection (and so the request and its job) is cancelled.
    /// Requests quicker than that are never watched, so the common case pays nothing.
    func watchRunningRequests(after: Duration) {
        let threshold = CoarseClock.milliseconds &- UInt64(after / .milliseconds(1))
        for record in allRecords() { record.watchIfRunning(since: threshold) }
    }

    /// Whether the server is shutting down.
    public var isShuttingDown: Bool { schedule.isShuttingDown }

    /// When requests still in flight will be cancelled, once a shutdown with a timeout has begun.
    public var shutdownDeadline: ContinuousClock.Instant? { schedule.deadline }

    /// Starts a graceful shutdown: idle and hijacked connections are interrupted now; the others
    /// finish what they are doing and close, or are cancelled at `deadline` (see
    /// `enforceShutdownDeadline`).
    func beginShutdown(deadline: ContinuousClock.Instant?) {
        schedule.begin(deadline: deadline)
        for record in allRecords() {
            record.interrupt { state, _ in state == .idle || state == .hijacked }
        }
    }

    /// Once the shutdown deadline has passed, cancels every connection still open (their requests
    /// see `RequestCancellation.Reason.shutdown`). Called by the sweeper; acts once.
    func enforceShutdownDeadline() {
        guard schedule.isPastDeadline, !deadlineEnforced.exchange(true, ordering: .relaxed) else { return }
        for record in allRecords() { record.cancellation.cancel(.shutdown) }
    }

    /// Interrupts connections idle for longer than `idle` and heads slower than `headRead`.
    func sweep(headRead: Duration, idle: Duration) {
        let now = CoarseClock.milliseconds
        let idleMS = UInt64(idle / .milliseconds(1)), headMS = UInt64(headRead / .milliseconds(1))
        for record in allRecords() {
            record.interrupt { state, since in
                let age = now >= since ? now - since : 0
                return (state == .idle && age > idleMS) || (state == .readingHead && age > headMS)
            }
        }
    }

    private func allRecords() -> [ConnectionRecord] {
        registry.withLock { Array($0.records.values) }
    }

    /// The connections open now.
    public var snapshot: [Snapshot] {
        allRecords().map { $0.snapshot }.sorted { $0.id < $1.id }
    }

    public var openCount: Int { registry.withLock { $0.records.count } }
    public var acceptedCount: UInt64 { registry.withLock { $0.accepted } }
    /// Connections accepted so far, by listener.
    public var acceptedByListener: [String: UInt64] { registry.withLock { $0.acceptedByListener } }
}
