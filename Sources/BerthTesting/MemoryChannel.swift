import BerthTransport

/// One end of an in-memory connection: what one end writes, the other reads. Lets the harness
/// run the real parser, middleware, router and handlers with no kernel socket.
public struct MemoryChannel: ByteChannel {
    private let inbound: MemoryPipe
    private let outbound: MemoryPipe
    public let peer: String

    /// Two connected ends.
    public static func pair() -> (client: MemoryChannel, server: MemoryChannel) {
        let up = MemoryPipe(), down = MemoryPipe()
        return (MemoryChannel(inbound: down, outbound: up, peer: "memory-server"),
                MemoryChannel(inbound: up, outbound: down, peer: "memory"))
    }

    private init(inbound: MemoryPipe, outbound: MemoryPipe, peer: String) {
        self.inbound = inbound
        self.outbound = outbound
        self.peer = peer
    }

    public func read(into buffer: inout ByteBuffer) async throws -> Int {
        try await inbound.receive(into: &buffer)
    }

    public func write(_ first: [UInt8], _ second: [UInt8]) async throws {
        try outbound.send(first + second)
    }

    public func waitForHangUp() async throws -> Bool {
        try await !inbound.waitReadable()
    }

    public func shutdownWrite() { outbound.finish() }

    public func interrupt() { close() }

    public func close() {
        outbound.finish()
        inbound.finish()
    }
}
