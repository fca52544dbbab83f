#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads and writes for the daemon's small files: configuration, pidfile, engine id,
/// `/proc`, state dumps. These block: call them at start-up on the main thread, or through
/// `BlockingWork`.
enum LocalFile {
    /// A failed call, with the `errno` it left.
    struct Failure: Error {
        let operation: String
        let code: Int32

        var reason: String { String(cString: strerror(code)) }
    }

    /// The file's bytes.
    static func read(_ path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", code: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw Failure(operation: "read", code: errno) }
            if n == 0 { return bytes }
            bytes += chunk[..<n]
        }
    }

    /// The file as text, or nil if it cannot be read.
    static func readText(_ path: String) -> String? {
        (try? read(path)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Replaces the file's contents (creating it with `mode`).
    static func write(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(operation: "open", code: errno) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(operation: "write", code: errno) }
            offset += n
        }
    }
}
