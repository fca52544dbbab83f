import BerthSync
import Dispatch

/// A fixed set of OS threads for blocking work: file systems, tar, digests, small file reads. No
/// thread of Swift's cooperative pool ever waits in such a call, and the number of threads stays
/// bounded: work beyond them waits its turn, first come first served.
///
/// Two pools: `shared` for short calls, and `streams` for long ones that move a whole archive
/// through a `BytePipe` (a load, a save), so that a few slow clients cannot starve the short calls.
public final class BlockingPool: Sendable {
    /// For short blocking calls (a file read, a name lookup, a directory walk).
    public static let shared = BlockingPool(name: "berth-blocking", threads: 4)
    /// For work that streams an archive to or from a client, and may wait on it for long.
    public static let streams = BlockingPool(name: "berth-stream", threads: 8)

    private struct State {
        var jobs: [@Sendable () -> Void] = []
        /// Threads started so far (at most `size`).
        var started = 0
        /// Threads waiting for a job, or about to.
        var idle = 0
    }

    private let state = Locked(State())
    /// Counts queued jobs: each worker takes one per `wait`.
    private let queued = DispatchSemaphore(value: 0)
    private let name: String
    /// The most threads the pool starts.
    public let size: Int

    /// A pool of up to `threads` threads, each started when the work waiting outnumbers the idle
    /// ones (a short-lived process such as `berth-runtime` starts one or two).
    public init(name: String, threads: Int) {
        self.name = name
        size = threads
    }

    /// Runs `body` on one of the pool's threads and returns its result. Cancelling the calling
    /// task does not interrupt `body`: make it check what it needs (a `BytePipe` is cancelled
    /// from the task's side).
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        // The result crosses under a lock: the thread sanitizer then sees the hand-off even when
        // the worker resumes the task before it has suspended, a path of the Swift runtime that
        // tells the sanitizer nothing (swiftlang/swift#57803).
        let outcome = Locked<Result<T, any Error>?>(nil)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let newThread = state.withLock { state -> Int? in
                state.jobs.append {
                    let result = Result { try body() }
                    outcome.withLock { $0 = result }
                    continuation.resume()
                }
                guard state.jobs.count > state.idle, state.started < size else { return nil }
                state.started += 1
                return state.started - 1
            }
            queued.signal()
            if let newThread {
                SystemThread.start(name: "\(name)-\(newThread)") { [self] in work() }
            }
        }
        // Set before the resume that got us here.
        return try outcome.withLock { $0! }.get()
    }

    private func work() {
        while true {
            state.withLock { $0.idle += 1 }
            queued.wait()
            // One job per signal, so the queue is not empty.
            let job = state.withLock { state in
                state.idle -= 1
                return state.jobs.removeFirst()
            }
            job()
        }
    }
}
