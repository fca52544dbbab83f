import BerthSync
import BerthTransport
import Testing

/// Bytes between a task and a blocking thread, with backpressure.
@Suite struct BytePipeTests {
    @Test func aTaskFeedsABlockingReaderEveryByteInOrder() async throws {
        let pipe = BytePipe(capacity: 64 * 1024)
        let reader = Task {
            try await BlockingPool.shared.run { () -> [UInt8] in
                var all: [UInt8] = []
                while let piece = try pipe.readBlocking() { all += piece }
                return all
            }
        }
        var sent: [UInt8] = []
        for i in 0..<200 {
            let piece = [UInt8](repeating: UInt8(i), count: 4096)
            try await pipe.write(piece)
            sent += piece
        }
        pipe.finish()
        let received = try await reader.value
        #expect(received == sent)
    }

    @Test func aBlockingWriterWaitsForASlowTaskReader() async throws {
        let pipe = BytePipe(capacity: 16 * 1024)
        let written = Locked(0)
        let writer = Task {
            try await BlockingPool.shared.run {
                for _ in 0..<100 {
                    try pipe.writeBlocking([UInt8](repeating: 7, count: 4096))
                    written.withLock { $0 += 4096 }
                }
                pipe.finish()
            }
        }
        // Read nothing for a moment: the writer stops once the pipe is full.
        try await Task.sleep(for: .milliseconds(100))
        #expect(written.withLock { $0 } <= 16 * 1024 + 4096, "the writer waited for room")
        var total = 0
        while let piece = try await pipe.read() { total += piece.count }
        try await writer.value
        #expect(total == 409_600)
    }

    @Test func aReaderThatGivesUpStopsTheWriterAndAWriterErrorReachesTheReader() async throws {
        struct Broken: Error {}
        let pipe = BytePipe(capacity: 4096)
        let writer = Task {
            try await BlockingPool.shared.run {
                while true { try pipe.writeBlocking([UInt8](repeating: 1, count: 1024)) }
            }
        }
        _ = try await pipe.read()
        pipe.cancel(Broken())
        await #expect(throws: Broken.self) { try await writer.value }

        let failing = BytePipe()
        try await failing.write([1, 2, 3])
        failing.finish(throwing: Broken())
        let error = try await BlockingPool.shared.run { () -> String in
            do {
                while try failing.readBlocking() != nil {}
                return "ended"
            } catch {
                return "\(type(of: error))"
            }
        }
        #expect(error == "Broken")
    }

    @Test func cancellingTheWaitingTaskCancelsThePipe() async throws {
        let pipe = BytePipe()
        let reader = Task { try await pipe.read() }
        try await Task.sleep(for: .milliseconds(20))
        reader.cancel()
        await #expect(throws: CancellationError.self) { _ = try await reader.value }
        #expect(throws: CancellationError.self) { try pipe.writeBlocking([1]) }
    }
}
