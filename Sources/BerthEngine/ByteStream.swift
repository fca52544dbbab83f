/// A one-way stream of byte pieces between a job and whoever reads it: a job's stdout can be
/// piped straight into a streamed HTTP response. Writes never wait; the stream ends at `finish()`.
/// Read it from one task at a time.
public struct ByteStream: Sendable, AsyncSequence {
    public typealias Element = [UInt8]

    private let stream: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
    }

    public func write(_ bytes: [UInt8]) {
        if !bytes.isEmpty { continuation.yield(bytes) }
    }

    public func write(_ text: String) {
        write(Array(text.utf8))
    }

    /// Ends the stream; readers see its end once they have read what was written.
    public func finish() {
        continuation.finish()
    }

    /// Everything written, once the stream has ended.
    public func collect() async -> [UInt8] {
        var all: [UInt8] = []
        for await piece in stream { all += piece }
        return all
    }

    public func makeAsyncIterator() -> AsyncStream<[UInt8]>.AsyncIterator { stream.makeAsyncIterator() }
}
