import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A pipe for a container's stdin, stdout or stderr: both ends close-on-exec in the creator
/// (the spawn places the container's end as 0, 1 or 2).
public struct StdioPipe: Sendable {
    public let read: Int32
    public let write: Int32

    public init() throws(RuntimeError) {
        var fds: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&fds) == 0 else { throw RuntimeError.system("pipe", errno) }
        read = fds[0]
        write = fds[1]
    }
}
