#if canImport(Glibc)
import Glibc
#endif

/// Reads the daemon's small files whole: the configuration file, `/proc`, `/sys` and `/etc`
/// files, the pidfile and the engine id. Blocking: call it at start-up on the main thread, or
/// through a blocking pool. (The daemon's writes and directories use Foundation; the image store's
/// metadata goes through `DurableFile`.)
///
/// Not Foundation's `Data(contentsOf:)`/`String(contentsOfFile:)`, for two measured reasons:
/// they refuse anything but a regular file, answering `EACCES` for `/dev/null` and a FIFO (dockerd
/// accepts `--config-file /dev/null` and `<(…)`); and in the toolchain's FoundationEssentials
/// (Swift 6.3) they leak a 4 KiB buffer on every read of an empty file (20,000 reads grew RSS by
/// 80 MB; LeakSanitizer reports it).
public enum SmallFile {
    /// A failed call and the `errno` it left.
    public struct Failure: Error {
        /// `open` or `read`, as Go's `os.ReadFile` names the step that failed.
        public let operation: String
        public let code: Int32
    }

    /// The whole file, of any type.
    public static func read(_ path: String) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Failure(operation: "open", code: errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return .failure(Failure(operation: "read", code: errno)) }
            if n == 0 { return .success(bytes) }
            bytes += chunk[..<n]
        }
    }

    /// The file as UTF-8 text, or nil if it cannot be read.
    public static func text(_ path: String) -> String? {
        guard case .success(let bytes) = read(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
