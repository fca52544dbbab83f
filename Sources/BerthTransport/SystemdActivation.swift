import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Sockets passed by systemd socket activation (`LISTEN_PID`, `LISTEN_FDS`, `LISTEN_FDNAMES`).
public struct ActivatedSocket: Sendable, Equatable {
    public let fd: Int32
    public let name: String
}

public enum SystemdActivation {
    /// The first descriptor systemd passes.
    public static let firstDescriptor: Int32 = 3

    /// Takes the activated sockets meant for this process, checks that each is a listening stream
    /// socket, makes them non-blocking and close-on-exec, and unsets the variables so children do
    /// not inherit them. Call once, at start-up.
    public static func takeSockets(environment: [String: String]) throws(ListenerError) -> [ActivatedSocket] {
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pidText = environment["LISTEN_PID"], let pid = Int32(pidText), pid == getpid(),
              let countText = environment["LISTEN_FDS"], let count = Int32(countText), count > 0 else { return [] }
        let names = environment["LISTEN_FDNAMES"]?.split(separator: ":", omittingEmptySubsequences: false).map(String.init) ?? []
        var sockets: [ActivatedSocket] = []
        for i in 0..<count {
            let fd = firstDescriptor + i
            var type: Int32 = 0, listening: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_STREAM.rawValue) else {
                throw ListenerError("failed to load listeners: activated descriptor \(fd) is not a stream socket")
            }
            length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0, listening == 1 else {
                throw ListenerError("failed to load listeners: activated descriptor \(fd) is not listening")
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            sockets.append(ActivatedSocket(fd: fd, name: Int(i) < names.count ? names[Int(i)] : "unknown"))
        }
        return sockets
    }
}

/// `sd_notify`: status datagrams to `$NOTIFY_SOCKET` (a path, or an abstract name starting `@`).
public struct SystemdNotifier: Sendable {
    public let socketPath: String

    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        socketPath = path
    }

    /// Sends one datagram, e.g. `READY=1` or `STOPPING=1`. Never blocks (the socket is
    /// non-blocking); returns whether the datagram went out.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            if bytes.first == UInt8(ascii: "@") { raw[0] = 0 }  // abstract namespace
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == UInt8(ascii: "@") ? 0 : 1))
        let message = Array(state.utf8)
        let sent = message.withUnsafeBytes { buffer in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent == message.count
    }
}
