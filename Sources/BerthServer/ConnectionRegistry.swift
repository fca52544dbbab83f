import BerthSync
import BerthTransport

/// Every open connection and what it is doing, for graceful shutdown, deadlines and operators.
///
/// Connections report their transitions (a few uncontended lock operations per request); a
/// sweeper calls `sweep` periodically to enforce the header-read and idle deadlines, so no read
/// carries a timer of its own. Shutdown (`drain`) interrupts idle and hijacked connections at once
/// and leaves requests in flight to finish.
public final class ConnectionRegistry: Sendable {
    public enum State: String, Sendable {
        /// Waiting for the first byte of a request.
        case idle
        /// Part of a request head has arrived.
        case readingHead = "reading-head"
        /// A request is being handled or its response written.
        case active
        /// A streamed response is being written.
        case streaming
        /// The connection has been hijacked (raw two-way stream).
        case hijacked
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

    private struct Entry {
        let channel: any ByteChannel
        let counter: ByteCounter
        let listener: String
        let opened: ContinuousClock.Instant
        var state: State
        var since: ContinuousClock.Instant
        var interrupted = false
        /// Cancels the connection's task.
        let cancelConnection: @Sendable () -> Void
        /// A request that may be watched for its client hanging up is being handled.
        var watchable = false
        /// The task watching for the client hanging up, once the sweeper started one.
        var watcher: Task<Void, Never>?
        var hungUp = false
    }

    private struct Registry {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var draining = false
        var accepted: UInt64 = 0
        var acceptedByListener: [String: UInt64] = [:]
    }

    private let registry = Locked(Registry())

    public init() {}

    /// Adds a new connection; nil when the server is draining (close it at once).
    func register(_ channel: any ByteChannel, counter: ByteCounter, listener: String,
                  cancel: @escaping @Sendable () -> Void) -> UInt64? {
        let now = ContinuousClock.now
        return registry.withLock { r in
            guard !r.draining else { return nil }
            r.nextID += 1
            r.accepted += 1
            r.acceptedByListener[listener, default: 0] += 1
            r.entries[r.nextID] = Entry(channel: channel, counter: counter, listener: listener, opened: now, state: .idle, since: now,
                                        cancelConnection: cancel)
            return r.nextID
        }
    }

    /// Records a new state. Returns false when the connection has been interrupted, or when it
    /// would go idle while the server drains: it should wind down.
    func transition(_ id: UInt64, to state: State) -> Bool {
        let now = ContinuousClock.now
        return registry.withLock { r in
            guard var entry = r.entries[id], !entry.interrupted else { return false }
            if state == .idle && r.draining { return false }
            entry.state = state
            entry.since = now
            r.entries[id] = entry
            return true
        }
    }

    /// A request starts being handled; a watchable one is watched for its client hanging up if
    /// it is still running at the next sweep.
    func beginRequest(_ id: UInt64, watchable: Bool) {
        registry.withLock { r in
            r.entries[id]?.watchable = watchable
            r.entries[id]?.hungUp = false
        }
    }

    /// The request has been handled. Stops any watch (synchronously withdrawing its wait, so the
    /// connection may read again) and returns whether the client hung up meanwhile.
    func endRequest(_ id: UInt64) -> Bool {
        let (watcher, hungUp) = registry.withLock { r -> (Task<Void, Never>?, Bool) in
            guard var entry = r.entries[id] else { return (nil, false) }
            defer {
                entry.watchable = false
                entry.watcher = nil
                r.entries[id] = entry
            }
            return (entry.watcher, entry.hungUp)
        }
        watcher?.cancel()
        return hungUp
    }

    /// Starts a watch on every watchable request that has been running for longer than `after`:
    /// when its client hangs up, the connection (and so the request and its job) is cancelled.
    /// Requests quicker than that are never watched, so the common case pays nothing.
    func watchRunningRequests(after: Duration) {
        let now = ContinuousClock.now
        registry.withLock { r in
            for (id, entry) in r.entries
            where entry.state == .active && entry.watchable && entry.watcher == nil && now - entry.since > after {
                let channel = entry.channel
                // The task holds the registry only until it ends: cancelled when the request
                // ends, or done on a verdict.
                r.entries[id]?.watcher = Task { [self] in
                    // A reset or end of stream is a verdict; an error of the wait itself (the
                    // socket closed under it, cancellation) is not a hang-up.
                    let gone = (try? await channel.waitForHangUp()) ?? false
                    guard gone, !Task.isCancelled else { return }
                    clientHungUp(id)
                }
            }
        }
    }

    private func clientHungUp(_ id: UInt64) {
        let cancel = registry.withLock { r -> (@Sendable () -> Void)? in
            guard r.entries[id]?.watchable == true else { return nil }
            r.entries[id]?.hungUp = true
            return r.entries[id]?.cancelConnection
        }
        cancel?()
    }

    func remove(_ id: UInt64) {
        _ = registry.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Whether the server is shutting down.
    public var isDraining: Bool { registry.withLock { $0.draining } }

    /// Starts draining: idle and hijacked connections are interrupted now; the others finish
    /// what they are doing and close.
    func drain() {
        let victims = registry.withLock { r -> [any ByteChannel] in
            r.draining = true
            return interruptLocked(&r) { $0.state == .idle || $0.state == .hijacked }
        }
        victims.forEach { $0.interrupt() }
    }

    /// Interrupts connections idle for longer than `idle` and heads slower than `headRead`.
    func sweep(headRead: Duration, idle: Duration) {
        let now = ContinuousClock.now
        let victims = registry.withLock { r in
            interruptLocked(&r) { entry in
                (entry.state == .idle && now - entry.since > idle) || (entry.state == .readingHead && now - entry.since > headRead)
            }
        }
        victims.forEach { $0.interrupt() }
    }

    private func interruptLocked(_ r: inout Registry, where predicate: (Entry) -> Bool) -> [any ByteChannel] {
        var victims: [any ByteChannel] = []
        for (id, entry) in r.entries where !entry.interrupted && predicate(entry) {
            r.entries[id]?.interrupted = true
            victims.append(entry.channel)
        }
        return victims
    }

    /// The connections open now.
    public var snapshot: [Snapshot] {
        registry.withLock { r in
            r.entries.map { id, e in
                Snapshot(id: id, peer: e.channel.peer, listener: e.listener, state: e.state, opened: e.opened, stateSince: e.since,
                         bytesIn: e.counter.bytesIn, bytesOut: e.counter.bytesOut)
            }.sorted { $0.id < $1.id }
        }
    }

    public var openCount: Int { registry.withLock { $0.entries.count } }
    public var acceptedCount: UInt64 { registry.withLock { $0.accepted } }
    /// Connections accepted so far, by listener.
    public var acceptedByListener: [String: UInt64] { registry.withLock { $0.acceptedByListener } }
}
