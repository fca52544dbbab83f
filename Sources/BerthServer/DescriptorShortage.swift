import BerthLogging
import BerthSync
import BerthTransport

/// What the server does when the process runs out of descriptors (`accept` fails with `EMFILE`),
/// or nearly (an accepted socket leaves less than `DescriptorReserve.headroom`): rather than
/// leave new clients waiting until something happens to close, it frees descriptors as nginx
/// does. On `EMFILE` it releases the reserve descriptor (so one client is accepted at once); in
/// both cases it closes idle connections that cost nothing to drop (see
/// `ConnectionRegistry.shedIdle`: an eighth of them, at most 64 per round), and accepts again
/// once there is headroom. With nothing to close it backs off (5 ms doubling to 200 ms). It warns
/// at most once a second, with what it closed meanwhile.
final class DescriptorShortage: Sendable {
    /// At most this many idle connections are closed per round.
    static let shedLimit = 64

    /// What brought the shortage to light.
    enum Cause: CustomStringConvertible {
        /// `accept` failed: out of descriptors (or socket memory).
        case acceptFailed(SocketError)
        /// An accepted socket got a descriptor within the headroom.
        case runningLow(descriptor: Int32)

        var description: String {
            switch self {
            case .acceptFailed(let error): "\(error)"
            case .runningLow(let descriptor): "descriptors running low (descriptor \(descriptor) accepted, \(DescriptorReserve.headroom) kept free)"
            }
        }
    }

    private struct State {
        var backoff: Duration = .milliseconds(5)
        var lastWarning: ContinuousClock.Instant?
        var closedSinceWarning = 0
        var neverSentSinceWarning = 0
    }

    private let connections: ConnectionRegistry
    private let logger: Logger
    private let state = Locked(State())

    init(connections: ConnectionRegistry, logger: Logger) {
        self.connections = connections
        self.logger = logger
    }

    /// Frees descriptors after `cause` on `listener`, and returns once there is headroom again
    /// (so accepting cannot take the process's last descriptors). Throws only `CancellationError`.
    func relieve(_ cause: Cause, on listener: String) async throws {
        if case .acceptFailed = cause {
            if DescriptorReserve.shared.hasHeadroom {
                // Descriptors are not what is short (socket memory is, or the system's table):
                // closing connections may not help, so only wait a little before trying again.
                if let warning = noteShed(cause, closed: 0, neverSent: 0) { logger.warning(warning, [("listener", listener)]) }
                try await Task.sleep(for: nextBackoff())
                return
            }
            _ = DescriptorReserve.shared.release()
        }
        var closing: [ConnectionRecord] = []
        while !DescriptorReserve.shared.hasHeadroom {
            // Shed connections close as soon as their tasks run; shed no more until they have.
            closing.removeAll { $0.isReleased }
            if !closing.isEmpty {
                try await Task.sleep(for: .milliseconds(1))
                continue
            }
            let (closed, neverSent) = connections.shedIdle(limit: Self.shedLimit)
            if let warning = noteShed(cause, closed: closed.count, neverSent: neverSent) {
                logger.warning(warning, [("listener", listener)])
            }
            closing = closed
            if closed.isEmpty {
                // Nothing left to shed (every connection is busy): wait for one to end.
                try await Task.sleep(for: nextBackoff())
            }
        }
        state.withLock { $0.backoff = .milliseconds(5) }
    }

    /// 5 ms, doubling on each call up to 200 ms until a relief succeeds.
    private func nextBackoff() -> Duration {
        state.withLock { s in
            defer { s.backoff = min(s.backoff * 2, .milliseconds(200)) }
            return s.backoff
        }
    }

    /// Counts what was shed, and returns a warning if none was given in the last second.
    private func noteShed(_ cause: Cause, closed: Int, neverSent: Int) -> String? {
        let now = ContinuousClock.now
        return state.withLock { s -> String? in
            s.closedSinceWarning += closed
            s.neverSentSinceWarning += neverSent
            guard s.lastWarning.map({ now - $0 >= .seconds(1) }) ?? true else { return nil }
            defer {
                s.lastWarning = now
                s.closedSinceWarning = 0
                s.neverSentSinceWarning = 0
            }
            guard s.closedSinceWarning > 0 else { return "\(cause): nothing to close; accepting again shortly" }
            return "\(cause): closed \(s.closedSinceWarning) idle connections (\(s.neverSentSinceWarning) had never sent a byte) to accept new ones"
        }
    }
}
