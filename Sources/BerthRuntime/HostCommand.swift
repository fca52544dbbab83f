#if canImport(Glibc)
import Glibc
#endif

/// A program of the host run to completion with its output collected (`ps` for `docker top`),
/// started like containers' processes: the child only places its descriptors and execs. Blocking:
/// run it from a blocking pool.
public enum HostCommand {
    public struct Outcome: Sendable {
        public let status: Int32
        public let output: [UInt8]
        public let error: [UInt8]
    }

    /// Runs `path` with `arguments` (the program's name first), stdin at /dev/null, with an
    /// empty environment but `PATH` and `LC_ALL=C`.
    public static func run(_ path: String, _ arguments: [String], limit: Int = 16 << 20) throws(RuntimeError) -> Outcome {
        let output = try StdioPipe(), error = try StdioPipe()
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(null)
            close(output.read)
            close(error.read)
        }
        let started = Result { () throws(RuntimeError) in
            try ProcessHandle.startBlocking(path, arguments: arguments,
                                            environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"],
                                            descriptors: [null, output.write, error.write])
        }
        close(output.write)
        close(error.write)
        let process = try started.get()
        var collected: [[UInt8]] = [[], []]
        var open = [output.read, error.read]
        var chunk = [UInt8](repeating: 0, count: 1 << 14)
        while open.contains(where: { $0 >= 0 }) {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { break }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if collected[index].count < limit { collected[index] += chunk[..<n] }
                } else if n == 0 || errno != EINTR {
                    open[index] = -1
                }
            }
        }
        return Outcome(status: try process.waitBlocking().code, output: collected[0], error: collected[1])
    }
}
