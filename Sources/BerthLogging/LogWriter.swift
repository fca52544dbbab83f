import BerthSync
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Writes formatted log lines to a descriptor from a thread of its own, so that no caller ever
/// waits for `write(2)`. Lines wait in a bounded buffer; when the descriptor does not keep up (a
/// pipe nobody reads, a stalled journald) the buffer fills and further lines are dropped and
/// counted rather than making anyone wait. Once writing resumes, a line saying how many were
/// dropped goes out first.
final class LogWriter: Sendable {
    private struct State {
        /// Lines waiting to be written.
        var pending: [UInt8] = []
        /// The writer thread is waiting for lines (and must be woken for the next one).
        var sleeping = false
        /// The writer thread holds a batch it has not finished writing.
        var writing = false
        var dropped = 0
        /// Drops not yet reported in the log itself.
        var unreported = 0
    }

    private let fd: Int32
    private let capacity: Int
    private let state = Locked(State())
    private let wake = DispatchSemaphore(value: 0)
    /// Formats the line that reports drops.
    private let dropNotice: @Sendable (Int) -> [UInt8]

    /// - Parameters:
    ///   - capacity: bytes of lines that may wait; a line that does not fit is dropped.
    init(fd: Int32, capacity: Int, dropNotice: @escaping @Sendable (Int) -> [UInt8]) {
        self.fd = fd
        self.capacity = capacity
        self.dropNotice = dropNotice
        SystemThread.start(name: "berth-log") { [self] in run() }
    }

    /// Queues a line, or drops it if the buffer is full. Never waits.
    func enqueue(_ line: [UInt8]) {
        let wakeWriter = state.withLock { s -> Bool in
            guard s.pending.count + line.count <= capacity else {
                s.dropped += 1
                s.unreported += 1
                return false
            }
            s.pending.append(contentsOf: line)
            guard s.sleeping else { return false }
            s.sleeping = false
            return true
        }
        if wakeWriter { wake.signal() }
    }

    /// Lines dropped so far.
    var droppedLines: Int { state.withLock { $0.dropped } }

    /// Waits until every line queued so far is written, or `timeout` passes (a descriptor that
    /// blocks must not hold the process up at exit). Returns whether everything was written.
    /// Blocks the calling thread: call it at exit, never from a task.
    @discardableResult
    func flush(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if state.withLock({ $0.pending.isEmpty && !$0.writing }) { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(1000)
        }
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            let unreported = state.withLock { s -> Int? in
                guard !s.pending.isEmpty else {
                    s.sleeping = true
                    return nil
                }
                swap(&batch, &s.pending)
                s.writing = true
                defer { s.unreported = 0 }
                return s.unreported
            }
            guard let unreported else {
                wake.wait()
                continue
            }
            if unreported > 0 { writeAll(dropNotice(unreported)) }
            writeAll(batch)
            // Keep a modest buffer for the next batch; a burst's large one goes back to the allocator.
            if batch.capacity > 64 * 1024 { batch = [] } else { batch.removeAll(keepingCapacity: true) }
            state.withLock { $0.writing = false }
        }
    }

    /// Writes every byte, waiting as long as the descriptor makes it wait; gives up on an error
    /// (a closed descriptor), since there is nowhere else to report it.
    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)  // offset < count, so the buffer is non-empty
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
