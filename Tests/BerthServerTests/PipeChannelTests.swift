import BerthTransport
import Foundation
import Testing

/// Pipes on the reactor: what a container's stdio goes through (terminals: `TerminalTests`).
struct PipeChannelTests {
    private func pipePair() throws -> (read: PipeChannel, write: PipeChannel) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return (try PipeChannel(adopting: fds[0]), try PipeChannel(adopting: fds[1]))
    }

    @Test func fourMegabytesCrossAPipeWithBackpressureThenEndOfStream() async throws {
        let (reader, writer) = try pipePair()
        let sent = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        async let writing: Void = {
            try await writer.write(sent)  // far more than a pipe holds: the writer waits for the reader
            writer.close()
        }()
        var buffer = ByteBuffer()
        while try await reader.read(into: &buffer) > 0 {}
        try await writing
        #expect(buffer.readableCount == sent.count)
        #expect(buffer.readableBytes == sent)
    }

    @Test func writingToAPipeWhoseReaderLeftIsAnErrorNotADeath() async throws {
        let (reader, writer) = try pipePair()
        reader.close()
        await #expect(throws: SocketError.self) { try await writer.write([1, 2, 3]) }
    }
}
