import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// runc's `--console-socket`: a unix socket on which the caller (containerd's shim) waits for a
/// terminal's master, sent with SCM_RIGHTS and the terminal's name as the message. The creator
/// connects, since init, after pivot_root, cannot reach the path; init sends on the connection.
enum ConsoleSocket {
    /// A connected, close-on-exec socket to `path`.
    static func connect(to path: String) throws(RuntimeError) -> Int32 {
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw RuntimeError.system("socket", errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(socket)
            throw RuntimeError.invalid("console socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(socket)
            throw RuntimeError.system("connect to the console socket \(path)", code)
        }
        return socket
    }
}
