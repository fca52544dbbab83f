import BerthSync
import BerthTransport

/// The connection after a hijack: a raw two-way byte stream. Bytes the client sent after the
/// request head are delivered first. A zero-byte read means the client closed its write side
/// (its stdin ended), not that it left: keep writing until the work is done.
public final class HijackedStream: Sendable {
    private let channel: any ByteChannel
    private let leftover: Locked<[UInt8]>

    init(channel: any ByteChannel, leftover: [UInt8]) {
        self.channel = channel
        self.leftover = Locked(leftover)
    }

    /// The next bytes from the client, or an empty array once it has closed its write side.
    public func read() async throws -> [UInt8] {
        let pending = leftover.withLock { bytes -> [UInt8] in
            defer { bytes = [] }
            return bytes
        }
        if !pending.isEmpty { return pending }
        var buffer = ByteBuffer()
        _ = try await channel.read(into: &buffer)
        return buffer.readableBytes
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await channel.write(bytes)
    }

    /// Closes the server's write side; the client reads end of stream.
    public func closeWrite() {
        channel.shutdownWrite()
    }
}
