import BerthSync
import BerthTransport
import Synchronization

/// One connection's entry in the `ConnectionRegistry`.
///
/// Its state, the time it entered it, and three flags share one atomic word, so the connection
/// records a change with one compare-and-swap and the sweeper, which may interrupt it at the same
/// moment, never loses a race: a connection that was interrupted fails its next change and winds
/// down. The lock guards only what slow requests need: the watch for a client hanging up; the
/// `CancellationSource` cancels the request when it does.
final class ConnectionRecord: Sendable {
    let id: UInt64
    let channel: any ByteChannel
    let counter: ByteCounter
    let listener: String
    /// When the connection was accepted, on `CoarseClock`.
    let opened: UInt64
    /// Cancels the request being handled, for a hang-up or the shutdown deadline.
    let cancellation: CancellationSource

    /// Bits 0–2: state; 3: interrupted; 4: the running request may be watched; 5: it is watched;
    /// 8–63: `CoarseClock` milliseconds when the state was entered.
    private let word: Atomic<UInt64>
    private static let stateMask: UInt64 = 0b111
    private static let interrupted: UInt64 = 1 << 3
    private static let watchable: UInt64 = 1 << 4
    private static let watched: UInt64 = 1 << 5
    private static let sinceShift: UInt64 = 8

    private struct Watch: Sendable {
        /// The task waiting for the client to hang up during a slow request.
        var watcher: Task<Void, Never>?
        var hungUp = false
        /// The connection has left the registry: no new watch.
        var released = false
    }
    private let watch = Locked(Watch())

    init(id: UInt64, channel: any ByteChannel, counter: ByteCounter, listener: String, schedule: ShutdownSchedule) {
        self.id = id
        self.cancellation = CancellationSource(schedule: schedule)
        self.channel = channel
        self.counter = counter
        self.listener = listener
        let now = CoarseClock.milliseconds
        self.opened = now
        self.word = Atomic(now << Self.sinceShift | UInt64(ConnectionRegistry.State.idle.rawValue))
    }

    /// Called by the connection's task when it starts: the task may now be cancelled for its
    /// requests.
    func adoptCurrentTask() {
        cancellation.bindCurrentTask()
    }

    /// Whether the connection has ended (its task released it).
    var isReleased: Bool { watch.withLock { $0.released } }

    /// Called by the connection's task before it ends: after this nothing can cancel it through
    /// the registry, and no watch is left running.
    func release() {
        cancellation.unbindCurrentTask()
        let watcher = watch.withLock { w -> Task<Void, Never>? in
            w.released = true
            defer { w.watcher = nil }
            return w.watcher
        }
        watcher?.cancel()
    }


    /// Enters `state`; false if the connection has been interrupted.
    func set(_ state: ConnectionRegistry.State, watchable: Bool) -> Bool {
        let stamped = CoarseClock.milliseconds << Self.sinceShift | UInt64(state.rawValue) | (watchable ? Self.watchable : 0)
        var current = word.load(ordering: .relaxed)
        while true {
            if current & Self.interrupted != 0 { return false }
            let (exchanged, original) = word.compareExchange(expected: current, desired: stamped | (current & Self.watched),
                                                             ordering: .sequentiallyConsistent)
            if exchanged { return true }
            current = original
        }
    }

    /// The request has been handled. Stops any watch (synchronously withdrawing its wait, so the
    /// connection may read again) and returns whether the client hung up meanwhile.
    func endRequest() -> Bool {
        var current = word.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = word.compareExchange(expected: current, desired: current & ~(Self.watchable | Self.watched),
                                                             ordering: .sequentiallyConsistent)
            if exchanged { break }
            current = original
        }
        guard current & Self.watched != 0 else { return false }
        let (watcher, hungUp) = watch.withLock { w -> (Task<Void, Never>?, Bool) in
            defer { w.watcher = nil; w.hungUp = false }
            return (w.watcher, w.hungUp)
        }
        watcher?.cancel()
        return hungUp
    }

    /// Starts watching the running request for its client hanging up if it is watchable, not
    /// watched yet, and has been running since before `threshold`.
    func watchIfRunning(since threshold: UInt64) {
        watch.withLock { w in
            var current = word.load(ordering: .relaxed)
            while true {
                guard current & Self.stateMask == UInt64(ConnectionRegistry.State.active.rawValue),
                      current & Self.watchable != 0, current & Self.watched == 0,
                      current >> Self.sinceShift < threshold, !w.released else { return }
                let (exchanged, original) = word.compareExchange(expected: current, desired: current | Self.watched,
                                                                 ordering: .sequentiallyConsistent)
                if exchanged { break }
                current = original
            }
            let channel = self.channel
            w.hungUp = false
            // The task holds the record only until it ends: cancelled when the request ends, or
            // done on a verdict.
            w.watcher = Task { [self] in
                // A reset or end of stream is a verdict; an error of the wait itself (the socket
                // closed under it, cancellation) is not a hang-up.
                let gone = (try? await channel.waitForHangUp()) ?? false
                guard gone, !Task.isCancelled else { return }
                clientHungUp()
            }
        }
    }

    /// Cancels the request (the connection's task, and so its job) if the watch is still on.
    private func clientHungUp() {
        watch.withLock { w in
            guard word.load(ordering: .sequentiallyConsistent) & Self.watched != 0 else { return }
            w.hungUp = true
            cancellation.cancel(.clientHungUp)
        }
    }

    /// Marks the connection interrupted and shuts its socket down if `predicate` holds for its
    /// state and the time it entered it; a connection interrupted already is left alone. Returns
    /// whether this call interrupted it.
    @discardableResult
    func interrupt(where predicate: (ConnectionRegistry.State, UInt64) -> Bool) -> Bool {
        var current = word.load(ordering: .sequentiallyConsistent)
        while true {
            guard current & Self.interrupted == 0,
                  let state = ConnectionRegistry.State(rawValue: UInt8(current & Self.stateMask)),
                  predicate(state, current >> Self.sinceShift) else { return false }
            let (exchanged, original) = word.compareExchange(expected: current, desired: current | Self.interrupted,
                                                             ordering: .sequentiallyConsistent)
            if exchanged { break }
            current = original
        }
        channel.interrupt()
        return true
    }

    enum SweepVerdict { case none, expired, watch }

    /// What the sweeper should do with this connection, from one read of its state word: nothing,
    /// interrupt it (idle for longer than `idleMS`, or a head slower than `headMS`), or watch its
    /// request (active, watchable, unwatched, and running since before `watchBefore`).
    @inline(__always)
    func sweepVerdict(now: UInt64, idleMS: UInt64, headMS: UInt64, watchBefore: UInt64) -> SweepVerdict {
        let current = word.load(ordering: .relaxed)
        guard current & Self.interrupted == 0 else { return .none }
        let since = current >> Self.sinceShift
        let age = now >= since ? now - since : 0
        switch current & Self.stateMask {
        case UInt64(ConnectionRegistry.State.idle.rawValue): return age > idleMS ? .expired : .none
        case UInt64(ConnectionRegistry.State.readingHead.rawValue): return age > headMS ? .expired : .none
        case UInt64(ConnectionRegistry.State.active.rawValue):
            return current & Self.watchable != 0 && current & Self.watched == 0 && since < watchBefore ? .watch : .none
        default: return .none
        }
    }

    /// Since when (`CoarseClock` milliseconds) the connection has been idle between requests, or
    /// nil if it is doing something or is winding down.
    var idleSince: UInt64? {
        let current = word.load(ordering: .relaxed)
        guard current & Self.interrupted == 0, current & Self.stateMask == UInt64(ConnectionRegistry.State.idle.rawValue) else {
            return nil
        }
        return current >> Self.sinceShift
    }

    var snapshot: ConnectionRegistry.Snapshot {
        let current = word.load(ordering: .relaxed)
        return ConnectionRegistry.Snapshot(
            id: id, peer: channel.peer, listener: listener,
            state: ConnectionRegistry.State(rawValue: UInt8(current & Self.stateMask)) ?? .idle,
            opened: CoarseClock.instant(of: opened), stateSince: CoarseClock.instant(of: current >> Self.sinceShift),
            bytesIn: counter.bytesIn, bytesOut: counter.bytesOut)
    }
}
