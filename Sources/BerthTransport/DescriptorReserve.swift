import BerthSync
#if canImport(Glibc)
import Glibc
#endif

/// How a server keeps descriptors for itself when clients would take them all. Descriptors are a
/// per-process limit, hence one shared instance.
///
/// Two things are kept. One descriptor in reserve (on `/dev/null`): when `accept` fails with
/// `EMFILE`, releasing it lets one client in at once, before the connections shed to relieve the
/// shortage have closed. And headroom below the limit: the process must never sit with no free
/// descriptor at all, because the runtime under Swift's concurrency needs one now and then
/// (libdispatch's worker-pool monitor opens `/proc/<tid>/stat` every second, and aborts the
/// process if it cannot), and so do configuration reloads and state dumps. Descriptors are
/// allocated lowest first, so an accepted socket numbered at or above `lowWatermark` says that
/// fewer than `headroom` are left: the server then sheds connections before it accepts more.
public final class DescriptorReserve: Sendable {
    public static let shared = DescriptorReserve()

    /// Descriptors kept free below the limit.
    public static let headroom = 32

    private let fd = Locked<Int32>(-1)

    private init() {}

    /// Whether the reserve holds its descriptor.
    public var isHeld: Bool { fd.withLock { $0 >= 0 } }

    /// The lowest descriptor number that leaves fewer than `headroom` free, from the current soft
    /// limit on open files.
    public var lowWatermark: Int32 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int32.max) else { return .max }
        return Int32(limit.rlim_cur) - Int32(Self.headroom)
    }

    /// Whether a descriptor below `lowWatermark` is free: the lowest free one is what `open`
    /// returns, so one probe (`open` and `close` of `/dev/null`) tells.
    public var hasHeadroom: Bool {
        let probe = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard probe >= 0 else { return false }
        close(probe)
        return probe < lowWatermark
    }

    /// Takes the reserve descriptor if it is not held; false if none could be opened (the
    /// shortage goes on).
    @discardableResult
    public func restore() -> Bool {
        fd.withLock { held in
            if held < 0 { held = open("/dev/null", O_RDONLY | O_CLOEXEC) }
            return held >= 0
        }
    }

    /// Closes the reserve descriptor, freeing it for an `accept`. False if it was not held.
    public func release() -> Bool {
        fd.withLock { held in
            guard held >= 0 else { return false }
            close(held)
            held = -1
            return true
        }
    }
}
