import CBerthSys
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// One bound, listening socket (`tcp://`, `unix://`). It binds when created, so clients that
/// connect early wait in the kernel backlog, and accepts only when asked.
public actor Listener {
    /// Turns an accepted socket into the channel the server speaks HTTP on: a TLS handshake.
    public typealias Handshake = @Sendable (Socket) async throws -> any ByteChannel

    /// How listeners are made beyond their address.
    public struct Options: Sendable {
        /// Applied to connections on `tcp://` listeners (TLS); unix and activated sockets are plain.
        public var tcpHandshake: Handshake?
        /// The group given to unix socket files this daemon creates.
        public var unixGroup: gid_t?
        /// Sockets passed by systemd, for `fd://` addresses.
        public var activated: [ActivatedSocket] = []

        public init(tcpHandshake: Handshake? = nil, unixGroup: gid_t? = nil, activated: [ActivatedSocket] = []) {
            self.tcpHandshake = tcpHandshake
            self.unixGroup = unixGroup
            self.activated = activated
        }
    }

    public nonisolated let address: ListenAddress
    /// Applied to each accepted socket before HTTP, if set.
    public nonisolated let handshake: Handshake?
    /// How logs name it: the unix path, or `host:port` as bound (port 0 resolved).
    public nonisolated let displayAddress: String
    /// The TCP port actually bound, or nil for unix sockets.
    public nonisolated let boundPort: Int?
    private let socket: Socket
    private let createdPath: String?
    private var closed = false

    /// Backlog for `listen(2)`: the kernel caps it at `net.core.somaxconn`.
    public static let backlog: Int32 = 4096

    private init(address: ListenAddress, socket: Socket, display: String, port: Int?, createdPath: String?,
                 handshake: Handshake? = nil) {
        self.address = address
        self.handshake = handshake
        self.socket = socket
        self.displayAddress = display
        self.boundPort = port
        self.createdPath = createdPath
    }

    /// Binds and listens. Errors read like dockerd's (`listen tcp 127.0.0.1:2375: bind: address
    /// already in use`).
    public static func bind(_ address: ListenAddress, options: Options = Options()) async throws -> Listener {
        switch address {
        case .tcp(let host, let port):
            return try await bindTCP(address, host: host, port: port, handshake: options.tcpHandshake)
        case .unix(let path):
            return try bindUnix(address, path: path, group: options.unixGroup)
        case .fd:
            guard let only = try adopt(address, options.activated).first else {
                throw ListenerError("failed to load listeners: no sockets found via socket activation: make sure the service was started by systemd")
            }
            return only
        }
    }

    /// Binds an address; `fd://` gives one listener per activated socket.
    public static func bindAll(_ address: ListenAddress, options: Options = Options()) async throws -> [Listener] {
        if case .fd = address { return try adopt(address, options.activated) }
        return [try await bind(address, options: options)]
    }

    /// Listeners on sockets systemd passed: all of them for `fd://`, only descriptor N for `fd://N`.
    /// Their files keep the owner and mode systemd gave them and are not removed at close.
    private static func adopt(_ address: ListenAddress, _ activated: [ActivatedSocket]) throws -> [Listener] {
        guard case .fd(let wanted) = address else { return [] }
        guard !activated.isEmpty else {
            throw ListenerError("failed to load listeners: no sockets found via socket activation: make sure the service was started by systemd")
        }
        let chosen = wanted.map { n in activated.filter { $0.fd == Int32(n) } } ?? activated
        if let wanted, chosen.isEmpty {
            throw ListenerError("failed to load listeners: descriptor \(wanted) was not passed by socket activation (passed: \(activated.map { String($0.fd) }.joined(separator: ", ")))")
        }
        return try chosen.map { activatedSocket in
            let local = SocketAddress.local(of: activatedSocket.fd)
            let display = local.map { $0.family == AF_UNIX ? SocketAddress.unixPath(of: activatedSocket.fd) ?? "fd://\(activatedSocket.fd)" : $0.description }
                ?? "fd://\(activatedSocket.fd)"
            let socket = try Socket(adopting: activatedSocket.fd)
            return Listener(address: address, socket: socket, display: display, port: local?.port, createdPath: nil)
        }
    }

    private static func bindTCP(_ address: ListenAddress, host: String, port: Int, handshake: Handshake?) async throws -> Listener {
        let context = "listen tcp \(host.contains(":") ? "[\(host)]" : host):\(port)"
        var storage = try await SocketAddress.resolve(host: host, port: port, context: context)
        let fd = berth_socket_stream(Int32(storage.family))
        guard fd >= 0 else { throw SocketError("\(context): socket") }
        _ = berth_set_reuseaddr(fd)
        let bound = storage.withSockAddr { Glibc.bind(fd, $0, $1) }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError("\(context): bind", code: code)
        }
        guard listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError("\(context): listen", code: code)
        }
        storage = SocketAddress.local(of: fd) ?? storage
        let socket = try Socket(adopting: fd)
        return Listener(address: address, socket: socket, display: storage.description, port: storage.port,
                        createdPath: nil, handshake: handshake)
    }

    private static func bindUnix(_ address: ListenAddress, path: String, group: gid_t?) throws -> Listener {
        let context = "listen unix \(path)"
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw ListenerError("\(context): \(path) exists and is not a socket")
            }
            if SocketAddress.unixSocketAnswers(path) {
                throw SocketError("\(context): bind", code: EADDRINUSE)
            }
            unlink(path)  // stale: nothing answers on it
        }
        var addr = sockaddr_un()
        var length = socklen_t(0)
        guard berth_sockaddr_un(&addr, path, &length) == 0 else { throw SocketError("\(context): bind") }
        let fd = berth_socket_stream(AF_UNIX)
        guard fd >= 0 else { throw SocketError("\(context): socket") }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) } }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError("\(context): bind", code: code)
        }
        // Mode and group are set before listen(2), so no client can connect while the file is wider open.
        guard chmod(path, 0o660) == 0, group.map({ chown(path, uid_t.max, $0) == 0 }) ?? true, listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            unlink(path)
            throw SocketError("\(context): listen", code: code)
        }
        let socket = try Socket(adopting: fd)
        return Listener(address: address, socket: socket, display: path, port: nil, createdPath: path)
    }

    /// Accepts the next connection, waiting for one. Throws `CancellationError` when the task is
    /// cancelled, an error once the listener is closed, and a `SocketError` whose
    /// `isResourceShortage` is true when the process is out of descriptors: the caller decides
    /// what to close and when to try again.
    public func accept() async throws -> Socket {
        while true {
            try Task.checkCancellation()
            let listenFD = socket.fd
            guard listenFD >= 0, !closed else { throw SocketError.closed }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = berth_accept(listenFD, &storage, &length)
            if fd >= 0 {
                let peer = SocketAddress(storage: storage, length: length)
                if peer.family == AF_INET || peer.family == AF_INET6 { _ = berth_set_nodelay(fd) }
                return try Socket(adopting: fd, peer: peer.description)
            }
            let code = errno
            switch code {
            case EINTR, ECONNABORTED, EPROTO:
                continue
            case EAGAIN:
                try await socket.reactor.wait(for: .read, listenFD)
            default:
                throw SocketError("accept \(displayAddress)", code: code)
            }
        }
    }

    /// Stops listening and removes the socket file this listener created. Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        socket.close()
        if let createdPath { unlink(createdPath) }
    }
}

/// A listener problem that is not a plain system-call failure.
public struct ListenerError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
