#if canImport(Glibc)
import Glibc
#endif

/// A file-system call that failed, as Go words it: `mkdir /var/lib/berth/x: permission denied`.
/// The daemon's own failure (500), unless a caller knows better.
public struct FileError: KindedError, CustomStringConvertible, Equatable {
    public let operation: String
    public let path: String
    public let code: Int32

    public init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var kind: ErrorKind { .system }

    public var message: String { "\(operation) \(path): \(errnoText(code))" }

    public var description: String { message }
}
