import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The master side of a container process's terminal (`terminal: true`): what the process
/// writes is read here, what is written here is its input. The terminal itself was opened
/// inside the container (its own devpts), so the process sees `/dev/pts/0`. Closed when the
/// last reference goes, unless taken with `takeDescriptor`.
public final class Console: Sendable {
    /// The master descriptor (close-on-exec).
    public let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Sets the terminal's size, as `docker run -t` and a resize of the client's window do.
    public func resize(rows: UInt16, columns: UInt16) throws(RuntimeError) {
        guard berth_set_window_size(descriptor, rows, columns) == 0 else { throw RuntimeError.system("resize the terminal", errno) }
    }
}
