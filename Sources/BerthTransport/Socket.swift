import CBerthSys
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking stream socket driven by the reactor. Every call tries the system call first and
/// suspends only on `EAGAIN`; `EINTR` is retried. No thread ever blocks in here.
public final class Socket: ByteChannel {
    private let owned: RegisteredDescriptor
    public var reactor: Reactor { owned.reactor }
    public let peer: String
    /// Set when a read came back short, so the kernel's buffer was empty: the next read waits for
    /// readiness first instead of making a read that would only say `EAGAIN`. (The socket is
    /// edge-triggered, and the reactor remembers an edge that arrives while nobody waits, so no
    /// wake-up is lost.) Cleared by anything that takes an edge without reading the input.
    private let inputExhausted = Atomic<Bool>(false)

    /// Takes ownership of a non-blocking descriptor and registers it with the reactor.
    public init(adopting fd: Int32, peer: String = "", reactor: Reactor = .shared) throws {
        owned = try RegisteredDescriptor(adopting: fd, reactor: reactor)
        self.peer = peer
    }

    deinit { close() }

    /// The descriptor, or -1 once closed.
    public var fd: Int32 { owned.fd }

    public func read(into buffer: inout ByteBuffer) async throws -> Int {
        var mustWait = inputExhausted.exchange(false, ordering: .relaxed)
        while true {
            if mustWait {
                // An empty head buffer is not held through the wait: idle connections keep none.
                // Readers that expect more (bodies) reserve more first, and keep it.
                if buffer.capacity <= 1024 { buffer.releaseIfEmpty() }
                try await reactor.wait(for: .read, try openFD())
            }
            buffer.reserveWritable(1024)
            let fd = try openFD()
            var failure: Int32 = 0
            var space = 0
            let n = buffer.writeWithUnsafeMutableBytes { raw in
                space = raw.count
                let r = Glibc.read(fd, raw.baseAddress, raw.count)
                if r < 0 { failure = errno; return 0 }
                return r
            }
            switch failure {
            case 0:
                if n > 0 && n < space { inputExhausted.store(true, ordering: .relaxed) }
                return n
            case EINTR: mustWait = false
            case EAGAIN: mustWait = true
            default: throw SocketError("read", code: failure)
            }
        }
    }

    public func write(_ first: [UInt8], _ second: [UInt8]) async throws {
        var offset = 0
        let total = first.count + second.count
        while offset < total {
            let fd = try openFD()
            let n: Int = first.withUnsafeBytes { a in
                second.withUnsafeBytes { b in
                    var vectors = (iovec(), iovec())
                    var count: Int32 = 0
                    withUnsafeMutableBytes(of: &vectors) { raw in
                        let iov = raw.bindMemory(to: iovec.self)
                        if offset < a.count {
                            iov[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress! + offset), iov_len: a.count - offset)  // offset < a.count, so a is non-empty
                            count = 1
                            if b.count > 0 {
                                iov[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress!), iov_len: b.count)  // b.count > 0
                                count = 2
                            }
                        } else {
                            let o = offset - a.count
                            iov[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress! + o), iov_len: b.count - o)  // o < b.count, so b is non-empty
                            count = 1
                        }
                    }
                    // sendmsg rather than writev: MSG_NOSIGNAL turns a closed peer into EPIPE
                    // instead of a SIGPIPE that would kill a process that did not ignore it.
                    return withUnsafeMutablePointer(to: &vectors) { p in
                        p.withMemoryRebound(to: iovec.self, capacity: 2) { iov in
                            var message = msghdr()
                            message.msg_iov = iov
                            message.msg_iovlen = Int(count)
                            return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                        }
                    }
                }
            }
            if n >= 0 {
                offset += n
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN: try await reactor.wait(for: .write, fd)
            case let code: throw SocketError("write", code: code)
            }
        }
    }

    /// The next bytes waiting to be read (at most `count`), without consuming them; [] at end
    /// of stream.
    public func peek(upTo count: Int) async throws -> [UInt8] {
        inputExhausted.store(false, ordering: .relaxed)  // it may take an edge and leave the input
        var bytes = [UInt8](repeating: 0, count: count)
        while true {
            let fd = try openFD()
            let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count, Int32(MSG_PEEK)) }
            if n >= 0 { return Array(bytes[..<n]) }
            switch errno {
            case EINTR: continue
            case EAGAIN: try await reactor.wait(for: .read, fd)
            case let code: throw SocketError("read", code: code)
            }
        }
    }

    public func hasPendingInput() -> Bool {
        var byte: UInt8 = 0
        let fd = self.fd
        guard fd >= 0 else { return false }
        return recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) > 0
    }

    public func waitForHangUp() async throws -> Bool {
        inputExhausted.store(false, ordering: .relaxed)  // it may take an edge and leave the input
        var byte: UInt8 = 0
        while true {
            let fd = try openFD()
            let n = recv(fd, &byte, 1, Int32(MSG_PEEK))
            if n == 0 { return true }
            if n > 0 { return false }
            switch errno {
            case EINTR: continue
            case EAGAIN: try await reactor.wait(for: .read, fd)
            default: return true
            }
        }
    }

    public func shutdownWrite() {
        owned.ifOpen { _ = shutdown($0, Int32(SHUT_WR)) }
    }

    public func interrupt() {
        owned.ifOpen { _ = shutdown($0, Int32(SHUT_RDWR)) }
    }

    public func close() {
        owned.close()
    }

    private func openFD() throws -> Int32 {
        try owned.open()
    }
}
