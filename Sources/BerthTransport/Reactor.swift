import BerthSync
import CBerthSys
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one thread that waits in the kernel. It owns an `epoll` instance with every socket added
/// edge-triggered; a task that gets `EAGAIN` suspends in `wait(for:_:)` and the reactor resumes
/// it when the socket becomes ready.
///
/// Readiness that arrives while nobody waits is remembered, so an edge between a task's
/// `EAGAIN` and its registration is never lost (at worst a task retries once for nothing).
public final class Reactor: Sendable {
    public enum Interest: Sendable { case read, write }

    /// The process-wide reactor, started on first use.
    public static let shared = Reactor()

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Registration {
        var reader: Waiter?
        var writer: Waiter?
        var readReady = false
        var writeReady = false
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let table = Locked<[Int32: Registration]>([:])
    private let nextWaiterID = Atomic<UInt64>(1)

    private init() {
        epollFD = berth_epoll_create()
        wakeFD = berth_eventfd()
        precondition(epollFD >= 0 && wakeFD >= 0, "cannot create epoll instance: \(SocketError.text(for: errno))")
        _ = berth_epoll_add(epollFD, wakeFD)
        SystemThread.start(name: "berth-reactor") { [self] in run() }
    }

    /// Adds a non-blocking descriptor. Call once, before the first `wait`.
    public func register(_ fd: Int32) throws {
        table.withLock { $0[fd] = Registration() }
        if berth_epoll_add(epollFD, fd) != 0 {
            let code = errno
            table.withLock { _ = $0.removeValue(forKey: fd) }
            throw SocketError("epoll_ctl", code: code)
        }
    }

    /// Removes a descriptor before it is closed; any task waiting on it resumes with an error.
    public func deregister(_ fd: Int32) {
        let registration = table.withLock { $0.removeValue(forKey: fd) }
        _ = berth_epoll_del(epollFD, fd)
        registration?.reader?.continuation.resume(throwing: SocketError.closed)
        registration?.writer?.continuation.resume(throwing: SocketError.closed)
    }

    /// Suspends until `fd` may be ready for `interest`. Throws `CancellationError` if the task is
    /// cancelled while waiting (the registration is withdrawn first). One task at a time may wait
    /// for each direction of a descriptor; a second one gets `EBUSY`.
    public func wait(for interest: Interest, _ fd: Int32) async throws {
        let id = nextWaiterID.add(1, ordering: .relaxed).newValue
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case stored, ready, cancelled, closed, busy }
                let outcome = table.withLock { table -> Outcome in
                    guard var registration = table[fd] else { return .closed }
                    if Task.isCancelled { return .cancelled }
                    switch interest {
                    case .read:
                        if registration.readReady { registration.readReady = false; table[fd] = registration; return .ready }
                        if registration.reader != nil { return .busy }
                        registration.reader = Waiter(id: id, continuation: continuation)
                    case .write:
                        if registration.writeReady { registration.writeReady = false; table[fd] = registration; return .ready }
                        if registration.writer != nil { return .busy }
                        registration.writer = Waiter(id: id, continuation: continuation)
                    }
                    table[fd] = registration
                    return .stored
                }
                switch outcome {
                case .stored: break
                case .ready: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .closed: continuation.resume(throwing: SocketError.closed)
                case .busy: continuation.resume(throwing: SocketError(interest == .read ? "read" : "write", code: EBUSY))
                }
            }
        } onCancel: {
            let waiter = table.withLock { table -> Waiter? in
                guard var registration = table[fd] else { return nil }
                var found: Waiter?
                if registration.reader?.id == id { found = registration.reader; registration.reader = nil }
                if registration.writer?.id == id { found = registration.writer; registration.writer = nil }
                table[fd] = registration
                return found
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func run() {
        let capacity = 256
        let fds = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let events = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        var ready: [CheckedContinuation<Void, any Error>] = []
        ready.reserveCapacity(capacity)
        while true {
            let n = berth_epoll_wait(epollFD, fds, events, Int32(capacity), -1)
            if n < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait failed: \(SocketError.text(for: errno))")
            }
            table.withLock { table in
                for i in 0..<Int(n) {
                    let fd = fds[i]
                    if fd == wakeFD { continue }
                    guard var registration = table[fd] else { continue }
                    let bits = events[i]
                    if bits & UInt32(BERTH_EV_READ) != 0 {
                        if let waiter = registration.reader { ready.append(waiter.continuation); registration.reader = nil }
                        else { registration.readReady = true }
                    }
                    if bits & UInt32(BERTH_EV_WRITE) != 0 {
                        if let waiter = registration.writer { ready.append(waiter.continuation); registration.writer = nil }
                        else { registration.writeReady = true }
                    }
                    table[fd] = registration
                }
            }
            for continuation in ready { continuation.resume() }
            ready.removeAll(keepingCapacity: true)
        }
    }
}
