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
        /// Every open connection, in no order: an array, so that the sweep walks it without
        /// hashing or copying. `slots` says where each one is, for removal.
        var records: [ConnectionRecord] = []
        var slots: [UInt64: Int] = [:]
        var nextID: UInt64 = 0
        var accepted: UInt64 = 0
        var acceptedByListener: [String: UInt64] = [:]
        /// The sweeper, waiting while there is no connection (`waitForConnection`).
        var parkedSweeper: CheckedContinuation<Void, Never>?
    }

    private let registry = Locked(Registry())
    private let schedule = ShutdownSchedule()
    /// Requests begun so far: the sweeper watches for new ones cheaply.
    private let requests = Atomic<UInt64>(0)
    /// The shutdown deadline has been enforced (every connection left was cancelled).
    private let deadlineEnforced = Atomic<Bool>(false)

    public init() {}

    /// Adds a new connection served by the current task, which the registry cancels if the client
    /// hangs up during a slow request. Nil when the server is shutting down (close it at once).
    func register(_ channel: any ByteChannel, counter: ByteCounter, listener: String) -> ConnectionRecord? {
        guard !isShuttingDown else { return nil }
        let (record, sweeper) = registry.withLock { r -> (ConnectionRecord, CheckedContinuation<Void, Never>?) in
            r.nextID += 1
            r.accepted += 1
            r.acceptedByListener[listener, default: 0] += 1
            let record = ConnectionRecord(id: r.nextID, channel: channel, counter: counter, listener: listener,
                                          schedule: schedule)
            r.slots[r.nextID] = r.records.count
            r.records.append(record)
            defer { r.parkedSweeper = nil }
            return (record, r.parkedSweeper)
        }
        sweeper?.resume()
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
        registry.withLock { r in
            guard let slot = r.slots.removeValue(forKey: record.id) else { return }
            let last = r.records.removeLast()
            if slot < r.records.count {
                r.records[slot] = last
                r.slots[last.id] = slot
            }
        }
    }

    /// Records a new state. Returns false when the connection has been interrupted, or when it
    /// would go idle while the server shuts down: it should wind down. A request that may be watched
    /// for its client hanging up enters `.active` with `watchable`.
    func transition(_ record: ConnectionRecord, to state: State, watchable: Bool = false) -> Bool {
        guard record.set(state, watchable: watchable) else { return false }
        if state == .active { requests.add(1, ordering: .relaxed) }
        // Pairs with `beginShutdown`: either it sees this connection idle, or this sees the shutdown.
        return !(state == .idle && isShuttingDown)
    }


    /// Requests begun so far, on every connection.
    var requestsBegun: UInt64 { requests.load(ordering: .relaxed) }

    /// Whether the server is shutting down.
    public var isShuttingDown: Bool { schedule.isShuttingDown }

    /// When requests still in flight will be cancelled, once a shutdown with a timeout has begun.
    public var shutdownDeadline: ContinuousClock.Instant? { schedule.deadline }

    /// Starts a graceful shutdown: idle and hijacked connections are interrupted now; the others
    /// finish what they are doing and close, or are cancelled at `deadline` (see
    /// `enforceShutdownDeadline`).
    func beginShutdown(deadline: ContinuousClock.Instant?) {
        schedule.begin(deadline: deadline)
        wakeSweeper()
        for record in allRecords() {
            record.interrupt { state, _ in state == .idle || state == .hijacked }
        }
    }

    /// Returns once a connection is open, the shutdown has begun, the calling task is cancelled,
    /// or `limit` has passed: the sweeper of an idle daemon waits here instead of waking every
    /// sweep interval.
    func waitForConnection(atMost limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: limit) }
            group.addTask { await self.parkUntilConnection() }
            await group.next()
            group.cancelAll()
        }
    }

    /// The unbounded wait of `waitForConnection`: cancelling it wakes it.
    private func parkUntilConnection() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Checked under the lock that `register` takes, after `beginShutdown` set its flag
                // and after cancellation is flagged: a wake-up that came first is seen here.
                let parked = registry.withLock { r -> Bool in
                    guard r.records.isEmpty, !isShuttingDown, !Task.isCancelled else { return false }
                    r.parkedSweeper = continuation
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            wakeSweeper()
        }
    }

    private func wakeSweeper() {
        let parked = registry.withLock { r in
            defer { r.parkedSweeper = nil }
            return r.parkedSweeper
        }
        parked?.resume()
    }

    /// Once the shutdown deadline has passed, cancels every connection still open (their requests
    /// see `RequestCancellation.Reason.shutdown`). Called by the sweeper; acts once.
    func enforceShutdownDeadline() {
        guard schedule.isPastDeadline, !deadlineEnforced.exchange(true, ordering: .relaxed) else { return }
        for record in allRecords() { record.cancellation.cancel(.shutdown) }
    }

    /// Closes idle connections to free their descriptors, as nginx does when it runs out: an eighth
    /// of them, at least one and at most `limit`; first those that never sent a byte in the
    /// `grace` after they connected (oldest first), then keep-alive connections idle the longest,
    /// and only then connections younger than `grace` (a client sends its request at once, but it
    /// may not have arrived yet). Requests in flight, streams and hijacked connections are never touched, nor is
    /// a connection whose bytes have arrived but not been read yet (a request about to begin).
    /// Returns the connections it closed (they end as soon as their tasks run), and how many of
    /// those had never sent a byte.
    func shedIdle(limit: Int, grace: Duration = .milliseconds(200)) -> (closed: [ConnectionRecord], neverSent: Int) {
        let youngerThan = CoarseClock.milliseconds &- UInt64(grace / .milliseconds(1))
        var silent: [(since: UInt64, record: ConnectionRecord)] = []
        var keptAlive: [(since: UInt64, record: ConnectionRecord)] = []
        var young: [(since: UInt64, record: ConnectionRecord)] = []
        for record in allRecords() {
            guard let since = record.idleSince else { continue }
            if record.counter.bytesIn > 0 {
                keptAlive.append((since, record))
            } else if record.opened < youngerThan {
                silent.append((record.opened, record))
            } else {
                young.append((record.opened, record))
            }
        }
        let limit = max(1, min(limit, (silent.count + keptAlive.count + young.count) / 8))
        var closed: [ConnectionRecord] = [], neverSent = 0
        for (group, isSilent) in [(silent, true), (keptAlive, false), (young, true)] where closed.count < limit {
            for candidate in group.sorted(by: { $0.since < $1.since }) where closed.count < limit {
                // Still idle now, and not about to read a request: one may have begun since the walk.
                guard !candidate.record.channel.hasPendingInput(),
                      candidate.record.interrupt(where: { state, _ in state == .idle }) else { continue }
                closed.append(candidate.record)
                if isSilent { neverSent += 1 }
            }
        }
        return (closed, neverSent)
    }

    /// One pass over every connection, for the sweeper: interrupts connections idle for longer
    /// than `idle` and heads slower than `headRead`, and starts a watch on every watchable request
    /// running for longer than `watchAfter` (when its client hangs up, the request is cancelled;
    /// quicker requests are never watched, so the common case pays nothing). The pass reads each
    /// connection's state word under the registry's lock, without copying the list or taking
    /// another lock; the few connections that need something are dealt with after it.
    func sweep(headRead: Duration, idle: Duration, watchAfter: Duration) {
        let now = CoarseClock.milliseconds
        let idleMS = UInt64(idle / .milliseconds(1)), headMS = UInt64(headRead / .milliseconds(1))
        let watchBefore = now &- UInt64(watchAfter / .milliseconds(1))
        var expired: [ConnectionRecord] = []
        var slow: [ConnectionRecord] = []
        registry.withLock { r in
            for record in r.records {
                switch record.sweepVerdict(now: now, idleMS: idleMS, headMS: headMS, watchBefore: watchBefore) {
                case .none: break
                case .expired: expired.append(record)
                case .watch: slow.append(record)
                }
            }
        }
        for record in expired {
            record.interrupt { state, since in
                let age = now >= since ? now - since : 0
                return (state == .idle && age > idleMS) || (state == .readingHead && age > headMS)
            }
        }
        for record in slow { record.watchIfRunning(since: watchBefore) }
    }

    private func allRecords() -> [ConnectionRecord] {
        registry.withLock { $0.records }
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
