import BerthHTTP
import BerthTransport

/// The read side of a connection: the channel and its buffer, plus the framing state of the body
/// being read. The connection parses heads from it; a request's body reads from it.
///
/// Marked `@unchecked Sendable` because exactly one task uses it at a time: the connection lends it
/// to the request body while the handler runs and takes it back when the handler has returned.
final class InboundStream: @unchecked Sendable {
    enum BodyState {
        case none
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
        case done
    }

    let channel: any ByteChannel
    let counter: ByteCounter
    var buffer = ByteBuffer()
    var bodyState: BodyState = .none
    var continueNeeded = false

    init(channel: any ByteChannel, counter: ByteCounter = ByteCounter()) {
        self.channel = channel
        self.counter = counter
    }

    /// Starts the body of a new request.
    func beginBody(_ framing: BodyFraming, expectsContinue: Bool) {
        switch framing {
        case .none: bodyState = .done
        case .length(let n): bodyState = .length(remaining: n)
        case .chunked: bodyState = .chunked(ChunkedDecoder())
        }
        continueNeeded = expectsContinue
    }

    var bodyComplete: Bool { if case .done = bodyState { true } else { false } }

    /// Reads more bytes into the buffer; throws if the peer closed mid-body.
    private func fill() async throws {
        buffer.reserveWritable(64 * 1024)  // bodies come in bigger pieces than heads
        let n = try await channel.read(into: &buffer)
        if n == 0 { throw HTTPParseError(.badRequest, "unexpected EOF in request body") }
        counter.addReceived(n)
    }

    /// The next piece of the body (at most `limit` bytes), or nil at its end.
    func nextBodyPiece(limit: Int) async throws -> [UInt8]? {
        if continueNeeded {
            continueNeeded = false
            try await channel.write(Self.continueLine)
        }
        while true {
            switch bodyState {
            case .none, .done:
                return nil
            case .length(let remaining):
                if buffer.isEmpty { try await fill() }
                let bytes = buffer.read(upTo: min(remaining, limit))
                bodyState = remaining == bytes.count ? .done : .length(remaining: remaining - bytes.count)
                return bytes
            case .chunked(var decoder):
                if buffer.isEmpty { try await fill() }
                let step = try buffer.withUnsafeReadableBytes { raw in
                    try decoder.decode(UnsafeRawBufferPointer(rebasing: raw.prefix(limit + 64)))
                }
                var piece: [UInt8]?
                if let data = step.data {
                    piece = buffer.withUnsafeReadableBytes { Array($0[data]) }
                }
                buffer.consume(step.consumed)
                bodyState = decoder.isDone ? .done : .chunked(decoder)
                if let piece { return piece }
            }
        }
    }

    /// Reads and drops what is left of the body, up to `limit` bytes. Returns whether the body
    /// ended within the limit (so the connection can be reused).
    func discardBody(limit: Int) async -> Bool {
        var discarded = 0
        continueNeeded = false  // the client waits for our answer instead of sending the body
        if case .length(let remaining) = bodyState, remaining > limit { return false }
        do {
            while let piece = try await nextBodyPiece(limit: 64 * 1024) {
                discarded += piece.count
                if discarded > limit { return false }
            }
            return true
        } catch {
            return false
        }
    }

    static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
