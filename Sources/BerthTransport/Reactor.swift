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
// @unchecked Sendable: every mutable field is a `Locked` or an atomic, the descriptors are
// constants, and the run loop's buffers are locals of the reactor thread.
public final class Reactor: TaskExecutor, @unchecked Sendable {
    public enum Interest: Sendable { case read, write }

    /// The process-wide reactor, started on first use.
    public static let shared = Reactor()

    private struct Waiter {
        let id: UInt64
        /// Unchecked (a checked one costs an allocation per wait): whoever takes a waiter out of
        /// the table, under its lock, is the one who resumes it, so it is resumed exactly once.
        let continuation: UnsafeContinuation<Void, any Error>
    }

    private struct Registration {
        var registered = false
        /// Counts registrations of this descriptor number; events carry it, so one read for a
        /// closed socket is not applied to a new socket that reuses the number.
        var generation: UInt32 = 0
        var reader: Waiter?
        var writer: Waiter?
        var readReady = false
        var writeReady = false
        /// The peer hung up or the socket failed: reads no longer block, so a read wait returns
        /// at once (a reader that skipped a read expecting an edge would otherwise never get one).
        var readClosed = false
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    /// Jobs of tasks that prefer this executor, run by the reactor thread between polls.
    private let jobs = Locked<[UnownedJob]>([])
    /// Whether the reactor thread is (about to be) asleep in epoll_wait.
    private let sleeping = Atomic<Bool>(false)
    /// The reactor thread, once started.
    private let threadID = Atomic<UInt>(0)
    /// Registrations indexed by descriptor (descriptors are small and dense).
    private let table = Locked<[Registration]>([])
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
        precondition(fd >= 0, "registering an invalid descriptor")
        let generation = table.withLock { table -> UInt32 in
            let index = Int(fd)
            if index >= table.count {
                table.append(contentsOf: repeatElement(Registration(), count: max(index + 1, table.count * 2) - table.count))
            }
            let generation = table[index].generation &+ 1
            table[index] = Registration(registered: true, generation: generation)
            return generation
        }
        if berth_epoll_add_tagged(epollFD, fd, generation) != 0 {
            let code = errno
            table.withLock { $0[Int(fd)] = Registration(generation: generation) }
            throw SocketError("epoll_ctl", code: code)
        }
    }

    /// Removes a descriptor before it is closed; any task waiting on it resumes with an error.
    public func deregister(_ fd: Int32) {
        let registration = table.withLock { table -> Registration? in
            guard Int(fd) < table.count, table[Int(fd)].registered else { return nil }
            defer { table[Int(fd)] = Registration(generation: table[Int(fd)].generation) }
            return table[Int(fd)]
        }
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
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                enum Outcome { case stored, ready, cancelled, closed, busy }
                let outcome = table.withLock { table -> Outcome in
                    let i = Int(fd)
                    guard i < table.count, table[i].registered else { return .closed }
                    if Task.isCancelled { return .cancelled }
                    switch interest {
                    case .read:
                        if table[i].readClosed { return .ready }
                        if table[i].readReady { table[i].readReady = false; return .ready }
                        if table[i].reader != nil { return .busy }
                        table[i].reader = Waiter(id: id, continuation: continuation)
                    case .write:
                        if table[i].writeReady { table[i].writeReady = false; return .ready }
                        if table[i].writer != nil { return .busy }
                        table[i].writer = Waiter(id: id, continuation: continuation)
                    }
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
                let i = Int(fd)
                guard i < table.count, table[i].registered else { return nil }
                var found: Waiter?
                if table[i].reader?.id == id { found = table[i].reader; table[i].reader = nil }
                if table[i].writer?.id == id { found = table[i].writer; table[i].writer = nil }
                return found
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Runs a job of a task that prefers this executor (connection tasks): on the reactor thread,
    /// so waking a task after `epoll_wait` costs no thread switch.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.withLock { $0.append(unowned) }
        if UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))) != threadID.load(ordering: .relaxed),
           sleeping.load(ordering: .sequentiallyConsistent) {
            _ = berth_eventfd_signal(wakeFD)
        }
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    private func run() {
        let capacity = 256
        let fds = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let events = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        let tags = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        var ready: [UnsafeContinuation<Void, any Error>] = []
        ready.reserveCapacity(capacity)
        threadID.store(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))), ordering: .relaxed)
        var batch: [UnownedJob] = []
        while true {
            batch = jobs.withLock { pending in
                defer { pending.removeAll(keepingCapacity: true) }
                return pending
            }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
            sleeping.store(true, ordering: .sequentiallyConsistent)
            let pendingJobs = jobs.withLock { !$0.isEmpty }
            let n = berth_epoll_wait_tagged(epollFD, fds, tags, events, Int32(capacity), pendingJobs ? 0 : -1)
            sleeping.store(false, ordering: .releasing)
            if n < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait failed: \(SocketError.text(for: errno))")
            }
            table.withLock { table in
                for i in 0..<Int(n) {
                    let fd = fds[i]
                    if fd == wakeFD { _ = berth_eventfd_clear(wakeFD); continue }
                    let r = Int(fd)
                    guard r < table.count, table[r].registered, table[r].generation == tags[i] else { continue }
                    let bits = events[i]
                    if bits & UInt32(BERTH_EV_HUP | BERTH_EV_ERROR) != 0 { table[r].readClosed = true }
                    if bits & UInt32(BERTH_EV_READ) != 0 {
                        if let waiter = table[r].reader { ready.append(waiter.continuation); table[r].reader = nil }
                        else { table[r].readReady = true }
                    }
                    if bits & UInt32(BERTH_EV_WRITE) != 0 {
                        if let waiter = table[r].writer { ready.append(waiter.continuation); table[r].writer = nil }
                        else { table[r].writeReady = true }
                    }
                }
            }
            for continuation in ready { continuation.resume() }
            ready.removeAll(keepingCapacity: true)
        }
    }
}
