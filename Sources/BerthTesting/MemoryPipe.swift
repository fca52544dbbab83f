import BerthSync
import BerthTransport
import Synchronization

/// One direction of an in-memory byte stream: writers append, one reader takes.
final class MemoryPipe: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var closed = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, any Error>)?
    }

    private let state = Locked(State())
    private let nextID = Atomic<UInt64>(0)

    func send(_ bytes: [UInt8]) throws {
        let waiter = try state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard !state.closed else { throw SocketError("write", code: 32) }  // EPIPE
            state.bytes += bytes
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume()
    }

    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume()
    }

    /// Waits until bytes are available or the pipe is finished; true when bytes are available.
    func waitReadable() async throws -> Bool {
        let id = nextID.add(1, ordering: .relaxed).newValue
        while true {
            let ready: Bool? = state.withLock { state in
                if !state.bytes.isEmpty { return true }
                if state.closed { return false }
                return nil
            }
            if let ready { return ready }
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.bytes.isEmpty || state.closed || Task.isCancelled { return true }
                        state.waiter = (id, continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                    guard state.waiter?.id == id else { return nil }
                    defer { state.waiter = nil }
                    return state.waiter?.continuation
                }
                waiter?.resume(throwing: CancellationError())
            }
            try Task.checkCancellation()
        }
    }

    func receive(into buffer: inout ByteBuffer) async throws -> Int {
        guard try await waitReadable() else { return 0 }
        let bytes = state.withLock { state -> [UInt8] in
            defer { state.bytes = [] }
            return state.bytes
        }
        buffer.append(bytes)
        return bytes.count
    }
}
