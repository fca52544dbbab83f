import BerthCore
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Writes a tar with the system's libarchive, handing the bytes to a blocking sink (a `BytePipe`
/// into a response) as they are produced. `addDirectory` and `addFile` give owner 0:0 and time
/// 0, so the same content always gives the same bytes (an image archive); `add(_:contents:)`
/// writes an entry's own metadata (a layer). Lives on one thread of a blocking pool.
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
        // xattrs as SCHILY.xattr records only, as Go's archive/tar (Docker) writes and reads them;
        // libarchive's default adds a LIBARCHIVE.xattr copy of each.
        archive_write_set_format_option(archive, "pax", "xattrheader", "SCHILY")
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
        try copy(from: fd, count: Int(info.st_size), name: source)
    }

    /// Adds an entry with its own metadata; a file's `entry.size` bytes are read from `contents`.
    /// Times are written in whole seconds, as Docker's layer archives have them.
    func add(_ entry: ArchiveEntry, contents: Int32? = nil) throws {
        let header = archive_entry_new()!  // fails only when memory runs out
        defer { archive_entry_free(header) }
        (entry.path + [0]).withUnsafeBufferPointer { name in
            name.withMemoryRebound(to: CChar.self) { archive_entry_copy_pathname(header, $0.baseAddress) }
        }
        let type: UInt32 = switch entry.kind {
        case .file, .hardlink: FileType.regular
        case .directory: FileType.directory
        case .symlink: FileType.symlink
        case .characterDevice: FileType.characterDevice
        case .blockDevice: FileType.blockDevice
        case .fifo: FileType.fifo
        case .socket: FileType.socket
        }
        archive_entry_set_filetype(header, type)
        if entry.kind == .symlink || entry.kind == .hardlink {
            (entry.linkTarget + [0]).withUnsafeBufferPointer { target in
                target.withMemoryRebound(to: CChar.self) {
                    if entry.kind == .symlink {
                        archive_entry_copy_symlink(header, $0.baseAddress)
                    } else {
                        archive_entry_copy_hardlink(header, $0.baseAddress)
                    }
                }
            }
        }
        archive_entry_set_perm(header, mode_t(entry.permissions))
        archive_entry_set_uid(header, Int64(entry.uid))
        archive_entry_set_gid(header, Int64(entry.gid))
        archive_entry_set_mtime(header, entry.modified.tv_sec, 0)
        archive_entry_set_size(header, entry.kind == .file ? Int64(entry.size) : 0)
        if entry.kind == .characterDevice || entry.kind == .blockDevice {
            archive_entry_set_rdevmajor(header, dev_t(entry.deviceMajor))
            archive_entry_set_rdevminor(header, dev_t(entry.deviceMinor))
        }
        for (name, value) in entry.xattrs {
            value.withUnsafeBytes { archive_entry_xattr_add_entry(header, name, $0.baseAddress, $0.count) }
        }
        guard archive_write_header(archive, header) == ARCHIVE_OK else { throw failure() }
        if entry.kind == .file, entry.size > 0, let contents {
            try copy(from: contents, count: entry.size, name: entry.displayPath)
        }
    }

    /// Copies `count` bytes of `fd` into the archive; a file that shrank meanwhile is padded
    /// with zeros, one that grew is cut at `count`, so the header stays true.
    private func copy(from fd: Int32, count: Int, name: String) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        var left = count
        while left > 0 {
            let n = read(fd, buffer.baseAddress, min(buffer.count, left))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw FileError("read", name) }
            if n == 0 {
                let zeros = UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, left)])
                zeros.initializeMemory(as: UInt8.self, repeating: 0)
                try write(UnsafeRawBufferPointer(zeros))
                left -= zeros.count
                continue
            }
            try write(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            left -= n
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
