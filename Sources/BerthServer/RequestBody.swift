import BerthCore
import BerthHTTP

/// A request's body as a stream of byte pieces, read from the socket only as the handler asks.
/// `Expect: 100-continue` is answered on the first read. Bodies are never buffered whole unless a
/// handler asks for that with `collect(upTo:)`.
public struct RequestBody: Sendable, AsyncSequence {
    public typealias Element = [UInt8]

    let inbound: InboundStream?

    init(inbound: InboundStream?) {
        self.inbound = inbound
    }

    /// A body with no bytes.
    public static let empty = RequestBody(inbound: nil)

    /// The next piece, or nil at the end of the body.
    public func next() async throws -> [UInt8]? {
        guard let inbound else { return nil }
        return try await inbound.nextBodyPiece(limit: 64 * 1024)
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
