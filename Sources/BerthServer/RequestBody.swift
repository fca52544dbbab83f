import BerthCore
import BerthHTTP

/// A request's body as a stream of byte pieces, read from the socket only as the handler asks.
/// `Expect: 100-continue` is answered on the first read. Bodies are never buffered whole unless a
/// handler asks for that with `collect(upTo:)`.
///
/// A body may be read by its handler and by its streamed response, from any task, one read at a
/// time; it reads the connection's socket, which the connection takes back when the response is
/// done. Read after that (by a task that outlived the request) it throws; read by two tasks at
/// once it traps, as a data race would be.
public struct RequestBody: Sendable, AsyncSequence {
    public typealias Element = [UInt8]

    let inbound: InboundStream?
    /// The request the connection lent its stream for.
    let lease: UInt64

    init(inbound: InboundStream?, lease: UInt64) {
        self.inbound = inbound
        self.lease = lease
    }

    /// A body with no bytes.
    public static let empty = RequestBody(inbound: nil, lease: 0)

    /// The next piece, or nil at the end of the body.
    public func next() async throws -> [UInt8]? {
        guard let inbound else { return nil }
        return try await inbound.withBodyLease(lease) { try await inbound.nextBodyPiece(limit: 64 * 1024) }
    }

    /// The whole body, refused with a 400 if it is larger than `limit` bytes.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var all: [UInt8] = []
        while let piece = try await next() {
            all += piece
            if all.count > limit { throw APIError.invalidParameter("request body larger than \(limit) bytes") }
        }
        return all
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: RequestBody
        public mutating func next() async throws -> [UInt8]? { try await body.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}
