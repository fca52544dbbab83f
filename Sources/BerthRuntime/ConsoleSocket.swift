import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// runc's `--console-socket`: a unix socket on which the caller (containerd's shim) waits for a
/// terminal's master, sent with SCM_RIGHTS and the terminal's name as the message. The creator
/// connects, since init, after pivot_root, cannot reach the path; init sends on the connection.
enum ConsoleSocket {
    /// A connected, close-on-exec socket to `path`.
    static func connect(to path: String) throws(RuntimeError) -> Int32 {
        var address = sockaddr_un()
        var length = socklen_t(0)
        guard berth_sockaddr_un(&address, path, &length) == 0 else {
            throw RuntimeError.invalid("console socket path too long: \(path)")
        }
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw RuntimeError.system("socket", errno) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, length) }
        }
        guard connected == 0 else {
            let code = errno
            close(socket)
            throw RuntimeError.system("connect to the console socket \(path)", code)
        }
        return socket
    }
}
