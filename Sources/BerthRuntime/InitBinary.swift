import BerthCore
import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The executable a container's init runs from: a sealed in-memory copy of the daemon's own
/// binary (or of another one, for tests), made once. A process in a container can reach its
/// init's executable through `/proc/PID/exe`; were that the host's file, a container could
/// overwrite it (CVE-2019-5736). A sealed memfd cannot be written by anyone.
public final class InitBinary: Sendable {
    /// The memfd, close-on-exec: `berth_spawn` execs it by descriptor.
    let fd: Int32

    /// Copies `path` (default: this process's executable) into a sealed memfd. Blocking: run it
    /// on a blocking pool, once.
    public init(copying path: String = "/proc/self/exe") throws(RuntimeError) {
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw RuntimeError.system("open \(path)", errno) }
        defer { close(source) }
        let memfd = berth_memfd_create("berthd-init")
        guard memfd >= 0 else { throw RuntimeError.system("memfd_create", errno) }
        while true {
            let n = sendfile(memfd, source, nil, 1 << 30)
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                let code = errno
                close(memfd)
                throw RuntimeError.system("copy \(path) into a memfd", code)
            }
            if n == 0 { break }
        }
        guard berth_seal_memfd(memfd) == 0 else {
            let code = errno
            close(memfd)
            throw RuntimeError.system("seal the init memfd", code)
        }
        fd = memfd
    }

    deinit { close(fd) }
}
