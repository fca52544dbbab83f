#if canImport(Glibc)
import Glibc
#endif

/// Writes a file so that a crash never leaves half of it: the bytes go to a temporary file in the
/// same directory, which is flushed to disk (`fsync`) and renamed over the target, and the
/// directory is flushed too, so the rename itself survives. Blocking: call it from a blocking
/// pool.
public enum DurableFile {
    /// Writes `bytes` to `path` whole or not at all. `flushed: false` keeps the rename but skips
    /// the flushes, for state that a power loss ends anyway (a runtime's, under /run).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, flushed: Bool = true) throws(FileError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError("create", temporary, code: errno) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let code = errno
                close(fd)
                unlink(temporary)
                throw FileError("write", temporary, code: code)
            }
            offset += n
        }
        let synced = !flushed || fsync(fd) == 0
        let code = errno
        close(fd)
        guard synced else {
            unlink(temporary)
            throw FileError("fsync", temporary, code: code)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileError("rename", path, code: code)
        }
        if flushed { try syncDirectory(directory) }
    }

    /// Flushes a directory's entries (a rename, a new file) to disk.
    public static func syncDirectory(_ path: String) throws(FileError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError("open", path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileError("fsync", path, code: errno) }
    }
}
