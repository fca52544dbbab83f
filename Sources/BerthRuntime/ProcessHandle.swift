import BerthSync
import BerthTransport
import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A child process held by a pidfd: a signal reaches that process only (after its exit it fails
/// with ESRCH instead of reaching whoever took the number over), and its exit is observed on the
/// reactor, never with `waitpid(-1)`. Owns the pidfd and closes it when released.
public final class ProcessHandle: Sendable {
    public let pid: Int32
    let pidfd: Int32
    private let state = Locked(State())

    private struct State {
        var exit: ExitStatus?
        var waiters: [UInt64: CheckedContinuation<ExitStatus, any Error>] = [:]
        var nextWaiter: UInt64 = 0
        var monitoring = false
    }

    /// Takes ownership of `pidfd`, a pidfd of the caller's child `pid`.
    init(pid: Int32, pidfd: Int32) {
        self.pid = pid
        self.pidfd = pidfd
    }

    deinit { close(pidfd) }

    /// Starts a program of the host, as containers' processes are started: the child only places
    /// its descriptors (`descriptors[i]` becomes its descriptor i, every other one is closed) and
    /// execs; no Swift runs in it. `arguments` starts with the program's name; `environment` is
    /// `NAME=value` strings. The calling thread waits until the exec (a `vfork`), so this runs
    /// on the runtime's blocking pool.
    public static func start(_ path: String, arguments: [String], environment: [String], descriptors: [Int32],
                             directory: String? = nil) async throws -> ProcessHandle {
        try await ContainerProcess.pool.run {
            try startBlocking(path, arguments: arguments, environment: environment, descriptors: descriptors, directory: directory)
        }
    }

    /// `start` on the calling thread, for a thread that may block.
    public static func startBlocking(_ path: String, arguments: [String], environment: [String], descriptors: [Int32],
                                     directory: String? = nil) throws(RuntimeError) -> ProcessHandle {
        let (pid, pidfd, failure) = ProcessSpawn.start(.path(path), arguments: arguments, environment: environment,
                                                       descriptors: descriptors, directory: directory)
        guard pid > 0 else { throw RuntimeError.system("exec \(path)", failure) }
        return ProcessHandle(pid: pid, pidfd: pidfd)
    }

    /// How the process ended, if it has been seen to end.
    public var exitStatus: ExitStatus? { state.withLock { $0.exit } }

    /// Sends `signal`. A process that has exited is `notFound`.
    public func signal(_ number: Int32) throws(RuntimeError) {
        guard berth_pidfd_send_signal(pidfd, number) == 0 else {
            if errno == ESRCH { throw RuntimeError(kind: .notFound, message: "the process has exited") }
            throw RuntimeError.system("kill", errno)
        }
    }

    /// Waits on the calling thread until the process exits, for a program whose only waiter
    /// this is; tasks waiting with `wait` get the same status.
    public func waitBlocking() throws(RuntimeError) -> ExitStatus {
        if let exit = exitStatus { return exit }
        var status: Int32 = 0, signal: Int32 = 0
        while berth_pidfd_wait(pidfd, 0, &status, &signal) != 0 {
            guard errno == EINTR else {
                // A task's monitor reaped it first: its status is recorded.
                if let exit = exitStatus { return exit }
                throw RuntimeError.system("waitid", errno)
            }
        }
        let exit = ExitStatus(code: status, signal: signal == 0 ? nil : signal)
        answerWaiters(with: .success(exit))
        return exit
    }

    /// Waits until the process exits and returns how. Any number of callers may wait; each gets
    /// the status, and a cancelled one stops waiting without disturbing the others.
    public func wait() async throws -> ExitStatus {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ExitStatus, any Error>) in
                let startMonitor = state.withLock { state -> Bool in
                    if let exit = state.exit {
                        continuation.resume(returning: exit)
                        return false
                    }
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                        return false
                    }
                    state.waiters[id] = continuation
                    defer { state.monitoring = true }
                    return !state.monitoring
                }
                if startMonitor { Task { await self.monitor() } }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Waits for the pidfd to turn readable on the reactor, reaps the process, and answers every
    /// waiter.
    private func monitor() async {
        let outcome: Result<ExitStatus, any Error>
        do {
            let reactor = Reactor.shared
            try reactor.register(pidfd)
            defer { reactor.deregister(pidfd) }
            while true {
                var status: Int32 = 0, signal: Int32 = 0
                if berth_pidfd_wait(pidfd, 1, &status, &signal) == 0 {
                    outcome = .success(ExitStatus(code: status, signal: signal == 0 ? nil : signal))
                    break
                }
                guard errno == EAGAIN else { throw RuntimeError.system("waitid", errno) }
                try await reactor.wait(for: .read, pidfd)
            }
        } catch {
            outcome = .failure(error)
        }
        answerWaiters(with: outcome)
    }

    private func answerWaiters(with outcome: Result<ExitStatus, any Error>) {
        let waiters = state.withLock { state in
            if case .success(let exit) = outcome { state.exit = exit }
            state.monitoring = false
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}

/// How a process ended: its exit code, or 128 + the signal that killed it.
public struct ExitStatus: Sendable, Equatable {
    public let code: Int32
    /// The signal that killed it, if one did.
    public let signal: Int32?
}
