import BerthHTTP
import BerthTransport

/// Writes a streamed body. Each `write` reaches the socket before it returns: a chunk per write
/// when chunked, the bytes as they are otherwise.
public struct ResponseBodyWriter: Sendable {
    let channel: any ByteChannel
    let chunked: Bool
    let counter: ByteCounter?

    init(channel: any ByteChannel, chunked: Bool, counter: ByteCounter? = nil) {
        self.channel = channel
        self.chunked = chunked
        self.counter = counter
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
            counter?.addSent(frame.count)
        } else {
            try await channel.write(bytes)
            counter?.addSent(bytes.count)
        }
    }

    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}
