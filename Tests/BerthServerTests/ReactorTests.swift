import BerthServer
import BerthTransport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ReactorTests {
    /// A connected pair of non-blocking unix stream sockets.
    private func socketPair() throws -> (Socket, Socket) {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        return (try Socket(adopting: fds[0]), try Socket(adopting: fds[1]))
    }

    @Test func cancelledReadIsWithdrawnAndThrowsCancellation() async throws {
        let (a, b) = try socketPair()
        let reader = Task {
            var buffer = ByteBuffer()
            return try await a.read(into: &buffer)
        }
        try await Task.sleep(for: .milliseconds(20))
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        // The socket still works after the withdrawn wait.
        try await b.write(Array("x".utf8))
        var buffer = ByteBuffer()
        #expect(try await a.read(into: &buffer) == 1)
        a.close()
        b.close()
    }

    @Test func readSuspendsUntilDataArrives() async throws {
        let (a, b) = try socketPair()
        async let received: [UInt8] = {
            var buffer = ByteBuffer()
            _ = try await a.read(into: &buffer)
            return buffer.readableBytes
        }()
        try await Task.sleep(for: .milliseconds(10))
        try await b.write(Array("hello".utf8))
        #expect(try await received == Array("hello".utf8))
        b.close()
        var buffer = ByteBuffer()
        #expect(try await a.read(into: &buffer) == 0, "end of stream after the peer closes")
        a.close()
    }

    /// Reads once, failing instead of hanging if nothing comes within 30 seconds (a loaded CI
    /// machine running sanitized containers next to it took more than five).
    private func readOnce(_ socket: Socket) async throws -> [UInt8]? {
        try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var buffer = ByteBuffer()
                _ = try await socket.read(into: &buffer)
                return buffer.readableBytes
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    @Test func dataAndEndOfStreamInOneWakeUpAreBothRead() async throws {
        let (a, b) = try socketPair()
        async let first = readOnce(a)
        try await Task.sleep(for: .milliseconds(10))
        // Both land while the reactor thread is held up, so it sees them as one edge.
        let stall = Task(executorPreference: Reactor.shared) { usleep(100_000) }
        try await Task.sleep(for: .milliseconds(30))
        try await b.write(Array("hello".utf8))
        b.close()
        _ = await stall.value
        #expect(try await first == Array("hello".utf8))
        #expect(try await readOnce(a) == [], "end of stream, not a wait for an edge that already came")
        a.close()
    }

    @Test func aReadAfterAShortReadWaitsForTheNextBytes() async throws {
        let (a, b) = try socketPair()
        try await b.write(Array("one".utf8))
        #expect(try await readOnce(a) == Array("one".utf8))
        async let second = readOnce(a)
        try await Task.sleep(for: .milliseconds(10))
        try await b.write(Array("two".utf8))
        #expect(try await second == Array("two".utf8))
        // A hang-up watch that sees bytes takes their edge; the next read must still get them.
        async let watch = a.waitForHangUp()
        try await Task.sleep(for: .milliseconds(10))
        try await b.write(Array("three".utf8))
        #expect(try await watch == false)
        #expect(try await readOnce(a) == Array("three".utf8))
        a.close()
        b.close()
    }

    @Test func largeWritesCompleteAcrossEAGAIN() async throws {
        let (a, b) = try socketPair()
        let payload = [UInt8](repeating: 7, count: 8 << 20)
        async let sent: Void = a.write(payload, [1, 2, 3])
        var buffer = ByteBuffer()
        var total = 0
        while total < payload.count + 3 {
            total += try await b.read(into: &buffer)
            buffer.consume(buffer.readableCount)
        }
        try await sent
        #expect(total == payload.count + 3)
        a.close()
        b.close()
    }
}

@Suite struct ActivationGateTests {
    @Test func openWakesEveryWaiterAtOnce() async throws {
        let gate = ActivationGate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 { group.addTask { try await gate.wait() } }
            try await Task.sleep(for: .milliseconds(20))
            #expect(!gate.isOpen)
            gate.open()
            gate.open()
            try await group.waitForAll()
        }
        try await gate.wait()  // already open: returns at once
    }

    @Test func failMakesEveryWaiterThrow() async throws {
        struct InitFailed: Error {}
        let gate = ActivationGate()
        let waiter = Task { try await gate.wait() }
        try await Task.sleep(for: .milliseconds(10))
        gate.fail(InitFailed())
        gate.open()  // the first settlement wins
        await #expect(throws: InitFailed.self) { try await waiter.value }
        await #expect(throws: InitFailed.self) { try await gate.wait() }
    }

    @Test func cancelledWaiterThrowsCancellation() async throws {
        let gate = ActivationGate()
        let waiter = Task { try await gate.wait() }
        try await Task.sleep(for: .milliseconds(10))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
    }
}
