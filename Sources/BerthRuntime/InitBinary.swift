import BerthCore
import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The executable a container's init runs from: a sealed in-memory copy of the daemon's own
/// binary (or of another one, for tests), made once, or a read-only view of it that nothing
/// can write through (`sealedView`). A process in a container can reach its
/// init's executable through `/proc/PID/exe`; were that the host's file, a container could
/// overwrite it (CVE-2019-5736). A sealed memfd cannot be written by anyone.
public final class InitBinary: Sendable {
    /// The memfd or the view (O_PATH), close-on-exec: `berth_spawn` execs it by descriptor.
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

    /// This process's executable seen through a read-only overlay of its directory, with no copy
    /// (`berth_open_sealed_view`), or, where the kernel cannot mount one, a sealed memfd copy.
    /// `emptyDirectory` is made if missing and must stay empty: it is the overlay's second lower
    /// layer. For `berth-runtime`, which starts a container every time it runs and for which
    /// copying itself would cost more than the rest.
    public static func sealedView(emptyDirectory: String) throws(RuntimeError) -> InitBinary {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0, mkdir(emptyDirectory, 0o700) == 0 || errno == EEXIST {
            let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
                let fd = berth_open_sealed_view(String(path[..<slash]), String(path[path.index(after: slash)...]), emptyDirectory)
                if fd >= 0 { return InitBinary(descriptor: fd) }
            }
        }
        return try InitBinary()
    }

    private init(descriptor: Int32) {
        fd = descriptor
    }

    deinit { close(fd) }
}
