import Dispatch

/// Runs a short blocking call (a file read, a name lookup) on a Dispatch thread instead of a
/// thread of Swift's cooperative pool.
public enum BlockingWork {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
