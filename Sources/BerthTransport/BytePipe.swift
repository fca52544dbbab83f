import BerthSync
import Dispatch

/// Bytes handed between a task and a thread of a `BlockingPool`, in either direction, with
/// backpressure: a writer that gets `capacity` bytes ahead of its reader waits (suspends, or
/// blocks its thread) until the reader has taken half of them. A request body streams into a tar
/// reader this way, and a tar writer streams into a response, in bounded memory.
///
/// One writer and one reader. The writer ends the stream with `finish(throwing:)`; the reader
/// may give up with `cancel(_:)`, after which writes throw. Cancelling a task that waits in the
/// pipe cancels the pipe, so the thread on the other side stops too.
public final class BytePipe: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var buffered = 0
        var finished = false
        /// Why the writer ended the stream early, or why the reader gave up.
        var failure: (any Error)?
        var readerGone = false
        var asyncWriter: CheckedContinuation<Void, any Error>?
        var asyncReader: CheckedContinuation<[UInt8]?, any Error>?
        /// The blocking side waits on `wake`.
        var blockedWriter = false
        var blockedReader = false
    }

    public let capacity: Int
    private let state = Locked(State())
    /// Wakes the side that blocks a thread (only one side of a pipe ever does).
    private let wake = DispatchSemaphore(value: 0)

    public init(capacity: Int = 1 << 20) {
        self.capacity = capacity
    }

    // MARK: Writing

    /// Appends bytes, suspending while the pipe is full. Throws once the reader has gone.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (outcome, wakeReader) = state.withLock { s -> (Result<Bool, any Error>, Wake) in
                    if s.readerGone { return (.failure(s.failure ?? CancellationError()), .none) }
                    if Task.isCancelled { return (.failure(CancellationError()), .none) }
                    Self.append(bytes, to: &s)
                    let wakeReader = Self.takeReader(&s)
                    if s.buffered > capacity {
                        s.asyncWriter = continuation
                        return (.success(false), wakeReader)
                    }
                    return (.success(true), wakeReader)
                }
                deliver(wakeReader)
                switch outcome {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            cancel(CancellationError())
        }
    }

    /// Appends bytes, blocking the thread while the pipe is full. Throws once the reader has gone.
    public func writeBlocking(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        var appended = false
        while true {
            let (outcome, wakeReader) = state.withLock { s -> (Result<Bool, any Error>, Wake) in
                if s.readerGone { return (.failure(s.failure ?? CancellationError()), .none) }
                if !appended {
                    Self.append(bytes, to: &s)
                    appended = true
                }
                let wakeReader = Self.takeReader(&s)
                if s.buffered > capacity {
                    s.blockedWriter = true
                    return (.success(false), wakeReader)
                }
                return (.success(true), wakeReader)
            }
            deliver(wakeReader)
            switch outcome {
            case .success(true): return
            case .success(false): wake.wait()
            case .failure(let error): throw error
            }
        }
    }

    /// Ends the stream: the reader gets what was written, then the end (or `error`).
    public func finish(throwing error: (any Error)? = nil) {
        let wakeReader = state.withLock { s -> Wake in
            guard !s.finished else { return .none }
            s.finished = true
            if let error, s.failure == nil { s.failure = error }
            return Self.takeReader(&s)
        }
        deliver(wakeReader)
    }

    // MARK: Reading

    /// The next bytes, suspending while the pipe is empty; nil at the end of the stream. Throws
    /// the writer's error, or `CancellationError`.
    public func read() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let (outcome, wakeWriter) = state.withLock { s -> (Result<[UInt8]?, any Error>?, Wake) in
                    if Task.isCancelled { return (.failure(CancellationError()), .none) }
                    if let next = Self.take(&s) { return (.success(next), takeWriter(&s)) }
                    if s.finished { return (s.failure.map { .failure($0) } ?? .success(nil), .none) }
                    if s.readerGone { return (.failure(s.failure ?? CancellationError()), .none) }
                    s.asyncReader = continuation
                    return (nil, .none)
                }
                deliver(wakeWriter)
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            cancel(CancellationError())
        }
    }

    /// The next bytes, blocking the thread while the pipe is empty; nil at the end of the stream.
    public func readBlocking() throws -> [UInt8]? {
        while true {
            let (outcome, wakeWriter) = state.withLock { s -> (Result<[UInt8]?, any Error>?, Wake) in
                if let next = Self.take(&s) { return (.success(next), takeWriter(&s)) }
                if s.finished { return (s.failure.map { .failure($0) } ?? .success(nil), .none) }
                if s.readerGone { return (.failure(s.failure ?? CancellationError()), .none) }
                s.blockedReader = true
                return (nil, .none)
            }
            deliver(wakeWriter)
            if let outcome { return try outcome.get() }
            wake.wait()
        }
    }

    /// The reader gives up (or a waiting task was cancelled): writes throw `error` from now on,
    /// and a reader waiting on the other side gets it too.
    public func cancel(_ error: any Error) {
        let (writer, reader) = state.withLock { s -> (Wake, Wake) in
            if !s.readerGone {
                s.readerGone = true
                if s.failure == nil { s.failure = error }
            }
            s.chunks = []
            s.head = 0
            s.buffered = 0
            return (takeWriter(&s, always: true), Self.takeReader(&s))
        }
        deliver(writer)
        deliver(reader)
    }

    // MARK: Waking

    /// Who to wake once the lock is released.
    private enum Wake {
        case none
        case blocked
        case asyncWriter(CheckedContinuation<Void, any Error>, (any Error)?)
        case asyncReader(CheckedContinuation<[UInt8]?, any Error>, Result<[UInt8]?, any Error>)
    }

    private func deliver(_ wake: Wake) {
        switch wake {
        case .none: break
        case .blocked: self.wake.signal()
        case .asyncWriter(let continuation, let error):
            if let error { continuation.resume(throwing: error) } else { continuation.resume() }
        case .asyncReader(let continuation, let result): continuation.resume(with: result)
        }
    }

    private static func append(_ bytes: [UInt8], to s: inout State) {
        s.chunks.append(bytes)
        s.buffered += bytes.count
    }

    private static func take(_ s: inout State) -> [UInt8]? {
        guard s.head < s.chunks.count else { return nil }
        let next = s.chunks[s.head]
        s.chunks[s.head] = []
        s.head += 1
        s.buffered -= next.count
        if s.head == s.chunks.count {
            s.chunks.removeAll(keepingCapacity: true)
            s.head = 0
        }
        return next
    }

    /// Wakes a waiting reader with what it should get now, if anything changed for it.
    private static func takeReader(_ s: inout State) -> Wake {
        if s.blockedReader {
            s.blockedReader = false
            return .blocked
        }
        guard let reader = s.asyncReader else { return .none }
        let result: Result<[UInt8]?, any Error>
        if let next = take(&s) {
            result = .success(next)
        } else if s.finished || s.readerGone {
            result = s.failure.map { .failure($0) } ?? .success(nil)
        } else {
            return .none
        }
        s.asyncReader = nil
        return .asyncReader(reader, result)
    }

    /// Wakes a waiting writer once the pipe has drained to half its capacity, or `always` (the
    /// reader gave up: the writer then throws).
    private func takeWriter(_ s: inout State, always: Bool = false) -> Wake {
        guard always || s.buffered <= capacity / 2 else { return .none }
        if s.blockedWriter {
            s.blockedWriter = false
            return .blocked
        }
        guard let writer = s.asyncWriter else { return .none }
        s.asyncWriter = nil
        return .asyncWriter(writer, s.readerGone ? (s.failure ?? CancellationError()) : nil)
    }
}
