import BerthSync
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A descriptor owned by one `Socket` or `PipeChannel` and registered with the reactor: taken
/// over at creation, closed once. Stored inline (it cannot be copied), so it costs no allocation.
struct RegisteredDescriptor: ~Copyable, Sendable {
    private let descriptor: Atomic<Int32>
    /// Serialises `close` with the calls other tasks may make on a descriptor they do not own
    /// (`interrupt`, `shutdownWrite`): without it, a number read just before a concurrent close
    /// could already name another file when the call is made.
    private let lifecycle = Locked(false)  // true once closed (a real value: see Locked's note)
    let reactor: Reactor

    /// Takes ownership of `fd` and registers it; on failure `fd` is closed.
    init(adopting fd: Int32, reactor: Reactor) throws {
        descriptor = Atomic(fd)
        self.reactor = reactor
        do {
            try reactor.register(fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// The descriptor, or -1 once closed.
    var fd: Int32 { descriptor.load(ordering: .acquiring) }

    /// The descriptor, or `SocketError.closed`.
    func open() throws -> Int32 {
        let fd = self.fd
        guard fd >= 0 else { throw SocketError.closed }
        return fd
    }

    /// Runs `body` with the descriptor unless it is closed, with no close in between.
    func ifOpen(_ body: (Int32) -> Void) {
        lifecycle.withLock { closed in
            let fd = self.fd
            if !closed, fd >= 0 { body(fd) }
        }
    }

    /// Deregisters and closes the descriptor; a task waiting on it resumes with an error.
    /// Idempotent.
    func close() {
        lifecycle.withLock { closed in
            let fd = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
            guard fd >= 0 else { return }
            closed = true
            reactor.deregister(fd)
            Glibc.close(fd)
        }
    }
}
