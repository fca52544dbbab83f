import CBerthSys
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4, IPv6 or unix socket address.
struct SocketAddress: CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    var family: Int32 { Int32(storage.ss_family) }

    var port: Int? {
        withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET: Int(UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)))
            case AF_INET6: Int(UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)))
            default: nil
            }
        }
    }

    var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafeBytes(of: storage) { raw -> String in
            switch family {
            case AF_INET:
                var addr = raw.load(fromByteOffset: 4, as: in_addr.self)
                inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                return "\(String(nulTerminated: text)):\(port ?? 0)"
            case AF_INET6:
                var addr = raw.load(fromByteOffset: 8, as: in6_addr.self)
                inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                return "[\(String(nulTerminated: text))]:\(port ?? 0)"
            case AF_UNIX:
                return "unix"
            default:
                return "unknown"
            }
        }
    }

    mutating func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        let length = self.length
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }

    static func local(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return rc == 0 ? SocketAddress(storage: storage, length: length) : nil
    }

    /// A numeric address, `localhost`, or a name resolved with getaddrinfo on the blocking pool.
    static func resolve(host: String, port: Int, context: String) async throws -> SocketAddress {
        if let numeric = numeric(host: host == "localhost" ? "127.0.0.1" : host, port: port) { return numeric }
        let resolved: SocketAddress? = try await BlockingPool.shared.run {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return nil }
            defer { freeaddrinfo(list) }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
            }
            return SocketAddress(storage: storage, length: first.pointee.ai_addrlen)
        }
        guard let resolved else { throw ListenerError("\(context): lookup \(host): no such host") }
        return resolved
    }

    static func numeric(host: String, port: Int) -> SocketAddress? {
        var storage = sockaddr_storage()
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(port).bigEndian)
            sin.sin_addr = v4
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: sin) { raw.copyMemory(from: $0) } }
            return SocketAddress(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in>.size))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(port).bigEndian)
            sin6.sin6_addr = v6
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: sin6) { raw.copyMemory(from: $0) } }
            return SocketAddress(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
        return nil
    }

    /// The path a unix socket is bound to, if any.
    static func unixPath(of fd: Int32) -> String? {
        var addr = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        let path = withUnsafeBytes(of: addr.sun_path) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        return path.isEmpty ? nil : path
    }

    /// Whether something accepts connections on the unix socket at `path` (a live daemon).
    static func unixSocketAnswers(_ path: String) -> Bool {
        var addr = sockaddr_un()
        var length = socklen_t(0)
        guard berth_sockaddr_un(&addr, path, &length) == 0 else { return false }
        let fd = berth_socket_stream(AF_UNIX)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
        return rc == 0 || errno == EAGAIN
    }
}
