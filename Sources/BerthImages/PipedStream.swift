import BerthAPI
import BerthTransport

/// Bytes between a task and a thread of a blocking pool, through a `BytePipe` with
/// backpressure: a request body read by a task and consumed by a thread (an archive being
/// applied), or an archive written by a thread and sent by a task. Either side's failure stops
/// the other.
enum PipedStream {
    /// Runs `consume`, which reads `pipe` on a blocking thread, while a child task feeds `body`
    /// into the pipe. When `consume` fails, the body is not read further.
    static func consuming<T: Sendable>(_ body: @escaping ByteSource,
                                       with consume: (_ pipe: BytePipe) async throws -> T) async throws -> T {
        let pipe = BytePipe()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    while let piece = try await body() { try await pipe.write(piece) }
                    pipe.finish()
                } catch {
                    pipe.finish(throwing: error)
                }
            }
            do {
                let result = try await consume(pipe)
                try await group.waitForAll()
                return result
            } catch {
                pipe.cancel(error)
                throw error
            }
        }
    }

    /// Runs `produce` on a thread of the stream pool, handing what it writes to `sink` from this
    /// task. When `sink` fails (the client went away), the producer's next write throws.
    static func producing(into sink: @escaping ByteSink,
                          with produce: @escaping @Sendable (_ write: @escaping ([UInt8]) throws -> Void) throws -> Void) async throws {
        let pipe = BytePipe()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await BlockingPool.streams.run { try produce { try pipe.writeBlocking($0) } }
                    pipe.finish()
                } catch {
                    pipe.finish(throwing: error)
                    throw error
                }
            }
            do {
                while let piece = try await pipe.read() { try await sink(piece) }
            } catch {
                pipe.cancel(error)
                throw error
            }
            try await group.waitForAll()
        }
    }
}
