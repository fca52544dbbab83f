#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a pthread mutex.
///
/// Berth uses this rather than `Synchronization.Mutex` because ThreadSanitizer models pthread
/// mutexes, while on Linux it cannot see the futex hand-off inside `Mutex` and reports races on
/// correctly locked code; with `Locked`, `swift test --sanitize=thread` reports only real races.
///
/// Give it a real value to guard: with a zero-sized `Value` (`Locked(())`), ThreadSanitizer's
/// Swift access checks see the value at the object's own address and report a race.
///
/// `@unchecked Sendable`: `value` is only ever touched inside `withLock`, under the mutex.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
