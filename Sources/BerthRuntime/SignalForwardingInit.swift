import BerthCore
import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `docker run --init` without a separate binary: init stays PID 1 of the container, as
/// docker-init (tini) does. The command runs as its child; every catchable signal is blocked
/// here (a blocked signal reaches a pid namespace's init, an unhandled one would not) and
/// forwarded to the child; every process that ends up orphaned in the container is reaped;
/// when the child exits, init exits with its status (128 + the signal that killed it).
enum SignalForwardingInit {
    /// Signals the kernel raises for a fault of this process: left unblocked.
    private static let synchronous: Set<Int32> = [SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT]

    static func run(_ executable: String, arguments: [String], environment: [String], channel: InitChannel) -> Never {
        var blocked = sigset_t()
        sigfillset(&blocked)
        for signal in synchronous { sigdelset(&blocked, signal) }
        sigprocmask(SIG_SETMASK, &blocked, nil)

        let child: Int32
        do {
            child = try spawnChild(executable, arguments: arguments, environment: environment)
        } catch {
            try? channel.send(.error, Array(error.message.utf8))
            _exit(error.cliExitCode == 125 ? 1 : error.cliExitCode)
        }
        // The creator sees the command start when the init socket closes, as at an exec.
        close(channel.fd)

        while true {
            var info = siginfo_t()
            let signal = sigwaitinfo(&blocked, &info)
            if signal < 0 { continue }  // EINTR
            if signal == SIGCHLD {
                if let status = reapAll(child) { _exit(status) }
            } else {
                _ = kill(child, signal)
            }
        }
    }

    /// Starts the command with the container's stdio; signals unblocked and at their defaults.
    private static func spawnChild(_ executable: String, arguments: [String], environment: [String]) throws(RuntimeError) -> Int32 {
        let (pid, pidfd, failure) = ProcessSpawn.start(.path(executable), arguments: arguments, environment: environment,
                                                       descriptors: [0, 1, 2])
        guard pid > 0 else { throw RuntimeError(kind: .system, message: "exec \(executable): \(errnoText(failure))") }
        close(pidfd)  // PID 1 reaps with waitpid: every process of the container is its to reap
        return pid
    }

    /// Reaps every exited process; the child's status once it is among them.
    private static func reapAll(_ child: Int32) -> Int32? {
        var childStatus: Int32?
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return childStatus }
            if pid == child {
                // WIFEXITED / WTERMSIG by hand: the macros do not import.
                let signal = status & 0x7F
                childStatus = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
            }
        }
    }
}
