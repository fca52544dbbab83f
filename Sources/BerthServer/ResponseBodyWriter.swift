import BerthHTTP
import BerthTransport

/// Writes a streamed body. Each `write` reaches the socket before it returns: a chunk per write
/// when chunked, the bytes as they are otherwise.
public struct ResponseBodyWriter: Sendable {
    let channel: any ByteChannel
    let chunked: Bool

    init(channel: any ByteChannel, chunked: Bool) {
        self.channel = channel
        self.chunked = chunked
    }

    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        if chunked {
            var frame: [UInt8] = []
            frame.reserveCapacity(bytes.count + 12)
            ResponseHeadWriter.chunkHeader(bytes.count, into: &frame)
            frame += bytes
            frame += ResponseHeadWriter.crlf
            try await channel.write(frame)
        } else {
            try await channel.write(bytes)
        }
    }

    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}
