import BerthSync
import BerthTransport
import CBerthTLS

/// TLS over a non-blocking socket, on the same reactor: OpenSSL is called non-blocking, and a
/// `WANT_READ`/`WANT_WRITE` suspends the task until the socket is ready. Calls into the session are
/// serialised by a lock (each is short and never blocks), so a hijacked stream may read and write
/// from two tasks.
public final class TLSChannel: ByteChannel {
    /// The OpenSSL session. `@unchecked Sendable`: every use goes through `session`'s lock.
    private struct Session: @unchecked Sendable {
        var pointer: OpaquePointer?
    }

    private let socket: Socket
    private let session: Locked<Session>
    public var peer: String { socket.peer }

    /// What a plain-HTTP client sent to a TLS port gets, as dockerd answers it.
    public static let plainHTTPReply: [UInt8] = Array("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n".utf8)

    private init(socket: Socket, pointer: OpaquePointer) {
        self.socket = socket
        self.session = Locked(Session(pointer: pointer))
    }

    /// Runs the server handshake on an accepted socket within `timeout`. A client that speaks
    /// plain HTTP gets dockerd's 400 text and the socket is closed.
    public static func accept(_ socket: Socket, context: TLSContext, timeout: Duration) async throws -> TLSChannel {
        do {
            return try await withThrowingTaskGroup(of: TLSChannel?.self) { group in
                group.addTask { try await handshake(socket, context: context) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let channel = try await group.next() ?? nil else {
                    throw TLSError("TLS handshake error from \(socket.peer): timed out after \(timeout)")
                }
                return channel
            }
        } catch {
            socket.close()
            throw error
        }
    }

    private static func handshake(_ socket: Socket, context: TLSContext) async throws -> TLSChannel {
        let first = try await socket.peek(upTo: 1)
        guard let byte = first.first else { throw TLSError("TLS handshake error from \(socket.peer): EOF") }
        if byte != 0x16 {  // not a TLS handshake record
            if (byte >= 65 && byte <= 90) {  // an uppercase method: plain HTTP
                try? await socket.write(plainHTTPReply)
                await socket.lingeringClose(for: .milliseconds(200))
            }
            throw TLSError("TLS handshake error from \(socket.peer): first record does not look like a TLS handshake")
        }
        guard let pointer = berth_tls_new(context.context, socket.fd) else {
            throw TLSError("TLS handshake error from \(socket.peer): \(lastError())")
        }
        let channel = TLSChannel(socket: socket, pointer: pointer)
        while true {
            let status = channel.withSession { berth_tls_handshake($0) }
            switch Int(status) {
            case Int(BERTH_TLS_OK): return channel
            case Int(BERTH_TLS_WANT_READ): try await socket.reactor.wait(for: .read, socket.fd)
            case Int(BERTH_TLS_WANT_WRITE): try await socket.reactor.wait(for: .write, socket.fd)
            default:
                let reason = lastError()
                channel.close()
                throw TLSError("TLS handshake error from \(socket.peer): \(reason)")
            }
        }
    }

    /// The negotiated protocol version, e.g. `TLSv1.3`.
    public var protocolVersion: String {
        withSession { String(cString: berth_tls_version($0)) }
    }

    /// The ALPN protocol selected, or "".
    public var alpnProtocol: String {
        var buffer = [CChar](repeating: 0, count: 64)
        withSession { berth_tls_alpn($0, &buffer, buffer.count) }
        return String(nulTerminated: buffer)
    }

    public func read(into buffer: inout ByteBuffer) async throws -> Int {
        buffer.reserveWritable(16 * 1024)
        while true {
            var status: Int32 = 0
            let n = buffer.writeWithUnsafeMutableBytes { raw in
                var done = 0
                status = withSession { berth_tls_read($0, raw.baseAddress, raw.count, &done) }
                return status == Int32(BERTH_TLS_OK) ? done : 0
            }
            switch Int(status) {
            case Int(BERTH_TLS_OK): return n
            case Int(BERTH_TLS_CLOSED): return 0
            case Int(BERTH_TLS_WANT_READ): try await socket.reactor.wait(for: .read, try openFD())
            case Int(BERTH_TLS_WANT_WRITE): try await socket.reactor.wait(for: .write, try openFD())
            default: throw TLSError("TLS read from \(peer): \(Self.lastError())")
            }
        }
    }

    public func write(_ first: [UInt8], _ second: [UInt8]) async throws {
        let bytes = second.isEmpty ? first : first + second  // one record where possible
        var offset = 0
        while offset < bytes.count {
            var done = 0
            let status = bytes.withUnsafeBytes { raw in
                withSession { berth_tls_write($0, raw.baseAddress! + offset, raw.count - offset, &done) }  // offset < count, so raw is non-empty
            }
            switch Int(status) {
            case Int(BERTH_TLS_OK): offset += done
            case Int(BERTH_TLS_WANT_WRITE): try await socket.reactor.wait(for: .write, try openFD())
            case Int(BERTH_TLS_WANT_READ):
                // Rare (a key update): the read side may be waiting on the reactor already.
                try await Task.sleep(for: .milliseconds(1))
            case Int(BERTH_TLS_CLOSED): throw SocketError("write", code: 32)  // EPIPE
            default: throw TLSError("TLS write to \(peer): \(Self.lastError())")
            }
        }
    }

    public func waitForHangUp() async throws -> Bool {
        try await socket.waitForHangUp()
    }

    public func shutdownWrite() {
        withSession { berth_tls_shutdown($0) }
        socket.shutdownWrite()
    }

    public func interrupt() {
        socket.interrupt()
    }

    public func close() {
        session.withLock { session in
            if let pointer = session.pointer { berth_tls_free(pointer) }
            session.pointer = nil
        }
        socket.close()
    }

    private func withSession<R>(_ body: (OpaquePointer) -> R) -> R {
        session.withLock { session in
            guard let pointer = session.pointer else { fatalError("TLS session used after close") }
            return body(pointer)
        }
    }

    private func openFD() throws -> Int32 {
        let fd = socket.fd
        guard fd >= 0 else { throw SocketError.closed }
        return fd
    }

    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        berth_tls_last_error(&buffer, buffer.count)
        return String(nulTerminated: buffer)
    }
}

/// A TLS failure on one connection.
public struct TLSError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
