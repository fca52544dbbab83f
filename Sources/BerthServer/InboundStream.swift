import BerthCore
import BerthHTTP
import BerthTransport
import Synchronization

/// The read side of a connection: the channel and its buffer, plus the framing state of the body
/// being read. The connection parses heads from it; a request's body reads from it.
///
/// Who may touch it is a lease, checked on every access from a body: the connection holds it,
/// lends it to the request's `RequestBody` while the handler (and then a streamed response) runs,
/// and takes it back before it reads anything itself. A body read while the lease is not lent to
/// its request (a body handed to a task that outlived the request) throws; two reads at once, or
/// the connection taking the lease back during a read, trap.
// @unchecked Sendable: the mutable fields are touched only by the lease's holder, one task at a
// time, and the lease is an atomic checked on every access that could race (see above).
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

    /// The lease: bits 0–1 say who holds it (`held`: the connection, `lent`: a request's body,
    /// `reading`: a body read in progress); the bits above number the request it was lent for.
    private let lease = Atomic<UInt64>(0)
    private static let held: UInt64 = 0, lent: UInt64 = 1, reading: UInt64 = 2, holderMask: UInt64 = 3
    /// The request the lease was last lent for; the connection's own bookkeeping.
    private var leaseNumber: UInt64 = 0

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

    /// Lends the stream to a new request's body; returns the number that body must present.
    func lend() -> UInt64 {
        leaseNumber += 1
        lease.store(leaseNumber << 2 | Self.lent, ordering: .releasing)
        return leaseNumber
    }

    /// Lends the stream again to the current request's body (for its streamed response).
    func lendAgain() {
        let (exchanged, _) = lease.compareExchange(expected: leaseNumber << 2 | Self.held, desired: leaseNumber << 2 | Self.lent,
                                                   ordering: .acquiringAndReleasing)
        precondition(exchanged, "the connection lends a request body only what it holds")
    }

    /// Takes the stream back from the request's body, before the connection reads from it. A
    /// stream not lent is held already.
    func takeBack() {
        let (_, found) = lease.compareExchange(expected: leaseNumber << 2 | Self.lent, desired: leaseNumber << 2 | Self.held,
                                               ordering: .acquiringAndReleasing)
        precondition(found & Self.holderMask != Self.reading,
                     "a request's body is still being read after its handler and response finished (a task outlived its request)")
    }

    /// Runs one read of request `number`'s body, if the stream is lent to it.
    func withBodyLease<R>(_ number: UInt64, _ body: () async throws -> R) async throws -> R {
        let (exchanged, found) = lease.compareExchange(expected: number << 2 | Self.lent, desired: number << 2 | Self.reading,
                                                       ordering: .acquiringAndReleasing)
        guard exchanged else {
            precondition(found != number << 2 | Self.reading, "a request's body is being read by two tasks at once")
            throw APIError.system("request body read after its request ended: a body may be read only by its handler and its response")
        }
        defer { lease.store(number << 2 | Self.lent, ordering: .releasing) }
        return try await body()
    }

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
