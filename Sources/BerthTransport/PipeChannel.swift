#if canImport(Glibc)
import Glibc
#endif

/// One end of a pipe, or a terminal's master, driven by the reactor: a container's stdin,
/// stdout and stderr. As with `Socket`, every call tries the system call first and suspends only
/// on `EAGAIN`; no thread ever blocks in here. A terminal whose other side is closed reads as
/// end of stream (the kernel says `EIO`), as a pipe whose writers are gone does.
public final class PipeChannel: Sendable {
    private let owned: RegisteredDescriptor
    public var reactor: Reactor { owned.reactor }

    /// A write to a pipe whose reader has gone raises SIGPIPE, which kills a process that does
    /// not ignore it (berthd does): it must come back as `EPIPE` instead.
    private static let brokenPipesIgnored: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Takes ownership of `fd`, makes it non-blocking (its own open file description only: the
    /// container's end of a pipe stays as it is) and registers it with the reactor.
    public init(adopting fd: Int32, reactor: Reactor = .shared) throws {
        Self.brokenPipesIgnored
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError("fcntl", code: code)
        }
        owned = try RegisteredDescriptor(adopting: fd, reactor: reactor)
    }

    deinit { close() }

    /// The descriptor, or -1 once closed.
    public var fd: Int32 { owned.fd }

    /// Appends what is available (at least one byte) to `buffer`; returns 0 at end of stream.
    public func read(into buffer: inout ByteBuffer) async throws -> Int {
        while true {
            buffer.reserveWritable(4096)
            let fd = try openFD()
            var failure: Int32 = 0
            let n = buffer.writeWithUnsafeMutableBytes { raw in
                let r = Glibc.read(fd, raw.baseAddress, raw.count)
                if r < 0 { failure = errno; return 0 }
                return r
            }
            switch failure {
            case 0: return n
            case EINTR: continue
            case EAGAIN: try await reactor.wait(for: .read, fd)
            case EIO: return 0  // a terminal's master once every slave descriptor is closed
            default: throw SocketError("read", code: failure)
            }
        }
    }

    /// What is available, at least one byte and at most `size`; empty at end of stream. The
    /// read goes through a scratch buffer that lives only for the call (not zeroed, not kept
    /// while the channel waits), and the bytes come back in an array of their own size.
    public func read(upTo size: Int) async throws -> [UInt8] {
        while true {
            let fd = try openFD()
            var failure: Int32 = 0
            let bytes = withUnsafeTemporaryAllocation(byteCount: size, alignment: 16) { scratch -> [UInt8] in
                let n = Glibc.read(fd, scratch.baseAddress, size)
                if n < 0 { failure = errno; return [] }
                return Array(UnsafeRawBufferPointer(rebasing: scratch[..<n]))
            }
            switch failure {
            case 0: return bytes
            case EINTR: continue
            case EAGAIN: try await reactor.wait(for: .read, fd)
            case EIO: return []  // a terminal's master once every slave descriptor is closed
            default: throw SocketError("read", code: failure)
            }
        }
    }

    /// Writes all of `bytes`; a reader that went away is `EPIPE`.
    public func write(_ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let fd = try openFD()
            let n = bytes.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) }  // offset < count, so not empty
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

    /// Closes the descriptor; a task waiting on it resumes with an error. Idempotent.
    public func close() {
        owned.close()
    }

    private func openFD() throws -> Int32 {
        try owned.open()
    }
}
