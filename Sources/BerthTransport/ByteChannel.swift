/// A two-way byte stream: a socket, a TLS session, or an in-memory pipe in tests. The server
/// speaks HTTP over any of them.
public protocol ByteChannel: Sendable {
    /// Appends what is available (at least one byte) to `buffer`; returns 0 at end of stream.
    func read(into buffer: inout ByteBuffer) async throws -> Int
    /// Writes all of `first` then all of `second`, gathered into as few writes as possible.
    func write(_ first: [UInt8], _ second: [UInt8]) async throws
    /// Suspends until the peer hangs up (end of stream or error), without consuming input.
    /// Returns at once if bytes are waiting to be read: a pipelined request is not a hang-up.
    func waitForHangUp() async throws -> Bool
    /// Closes the write direction; the peer reads end of stream.
    func shutdownWrite()
    /// Ends both directions without releasing the channel: pending and later reads see end of
    /// stream and writes fail, so whoever owns the channel winds down and closes it. Safe to call
    /// from another task.
    func interrupt()
    /// Closes the channel. Idempotent.
    func close()
    /// Whether input is waiting to be read right now (without waiting or consuming it). A channel
    /// that cannot tell answers true, which only costs a lingering close.
    func hasPendingInput() -> Bool
    /// The peer, for logs (`127.0.0.1:53122`, `unix`).
    var peer: String { get }
}

extension ByteChannel {
    public func hasPendingInput() -> Bool { true }

    /// Closes the write side, then, if input is waiting, reads and drops it until the peer closes
    /// or `duration` passes (at most 1 MiB), and closes. Unread input would make the kernel reset
    /// the connection under the last bytes written; with none pending it closes at once.
    public func lingeringClose(for duration: Duration) async {
        shutdownWrite()
        guard hasPendingInput() else {
            close()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var sink = ByteBuffer()
                var total = 0
                while total < 1 << 20, let n = try? await read(into: &sink), n > 0 {
                    total += n
                    sink.consume(sink.readableCount)
                }
            }
            group.addTask { try? await Task.sleep(for: duration) }
            await group.next()
            group.cancelAll()
        }
        close()
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await write(bytes, [])
    }
}
