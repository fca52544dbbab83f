import Synchronization

/// Bytes read from and written to one connection.
public final class ByteCounter: Sendable {
    private let received = Atomic<Int>(0)
    private let sent = Atomic<Int>(0)

    public init() {}

    func addReceived(_ n: Int) { received.add(n, ordering: .relaxed) }
    func addSent(_ n: Int) { sent.add(n, ordering: .relaxed) }

    public var bytesIn: Int { received.load(ordering: .relaxed) }
    public var bytesOut: Int { sent.load(ordering: .relaxed) }
}
