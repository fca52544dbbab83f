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

    private let jobs = Locked<[@Sendable () -> Void]>([])
    /// Counts queued jobs: each worker takes one per `wait`.
    private let queued = DispatchSemaphore(value: 0)
    /// The number of threads.
    public let size: Int

    public init(name: String, threads: Int) {
        size = threads
        for index in 0..<threads {
            SystemThread.start(name: "\(name)-\(index)") { [self] in work() }
        }
    }

    /// Runs `body` on one of the pool's threads and returns its result. Cancelling the calling
    /// task does not interrupt `body`: make it check what it needs (a `BytePipe` is cancelled
    /// from the task's side).
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            jobs.withLock { $0.append { continuation.resume(with: Result { try body() }) } }
            queued.signal()
        }
    }

    private func work() {
        while true {
            queued.wait()
            let job = jobs.withLock { $0.removeFirst() }  // one job per signal, so the queue is not empty
            job()
        }
    }
}
