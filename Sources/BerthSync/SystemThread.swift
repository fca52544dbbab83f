import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Starts a detached OS thread, outside Swift's cooperative pool, for work that must sleep in
/// the kernel: the reactor's `epoll_wait`, the log writer's `write(2)`.
public enum SystemThread {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            // The argument is the Box retained just above; this thread takes ownership of it.
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        _ = berth_set_thread_name(thread, String(name.prefix(15)))
        pthread_detach(thread)
    }
}
