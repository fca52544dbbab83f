import BerthCore
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Writes a tar with the system's libarchive, handing the bytes to a blocking sink (a `BytePipe`
/// into a response) as they are produced. Every entry gets owner 0:0 and time 0, so the same
/// content always gives the same bytes. Lives on one thread of a blocking pool.
final class ArchiveWriter {
    typealias Sink = ([UInt8]) throws -> Void

    private let archive: OpaquePointer
    private let output: Output

    private final class Output {
        let sink: Sink
        var failure: (any Error)?
        init(sink: @escaping Sink) { self.sink = sink }
    }

    init(sink: @escaping Sink) throws {
        archive = archive_write_new()!  // fails only when memory runs out
        output = Output(sink: sink)
        archive_write_set_format_pax_restricted(archive)
        archive_write_set_bytes_per_block(archive, 0)  // no blocking: bytes go out as they come
        let opened = archive_write_open(archive, Unmanaged.passUnretained(output).toOpaque(), nil, { _, data, buffer, length in
            // `data` is the Output passed below, alive as long as the writer.
            let output = Unmanaged<Output>.fromOpaque(data!).takeUnretainedValue()
            guard let buffer, length > 0 else { return 0 }
            do {
                try output.sink(Array(UnsafeRawBufferPointer(start: buffer, count: length)))
                return length
            } catch {
                output.failure = error
                return -1
            }
        }, nil)
        guard opened == ARCHIVE_OK else { throw failure() }
    }

    deinit { archive_write_free(archive) }

    private func failure() -> any Error {
        if let error = output.failure { return error }
        let text = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return APIError.system("writing the archive: \(text)")
    }

    private func header(_ path: String, type: UInt32, permissions: UInt32, size: Int) throws {
        let entry = archive_entry_new()!  // as above
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, path)
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode_t(permissions))
        archive_entry_set_size(entry, Int64(size))
        archive_entry_set_mtime(entry, 0, 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        guard archive_write_header(archive, entry) == ARCHIVE_OK else { throw failure() }
    }

    func addDirectory(_ path: String) throws {
        try header(path, type: FileType.directory, permissions: 0o755, size: 0)
    }

    func addFile(_ path: String, _ bytes: [UInt8]) throws {
        try header(path, type: FileType.regular, permissions: 0o644, size: bytes.count)
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Adds the file at `source` (on disk) as `path`, copied in pieces.
    func addFile(_ path: String, contentsOf source: String) throws {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError("open", source) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError("stat", source) }
        try header(path, type: FileType.regular, permissions: 0o644, size: Int(info.st_size))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw FileError("read", source) }
            if n == 0 { return }
            try write(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = archive_write_data(archive, bytes.baseAddress! + offset, bytes.count - offset)  // offset < count: not empty
            guard n > 0 else { throw failure() }
            offset += n
        }
    }

    /// Writes the end of the archive.
    func finish() throws {
        guard archive_write_close(archive) == ARCHIVE_OK else { throw failure() }
    }
}
