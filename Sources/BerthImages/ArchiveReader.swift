import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Reads an archive entry by entry with the system's libarchive, pulling its input from a
/// blocking source (a `BytePipe`, a file, another reader). Lives on one thread of a blocking pool.
final class ArchiveReader {
    /// What to read.
    enum Format {
        /// A tar (ustar, pax, GNU), compressed with gzip, bzip2, xz or zstd, or not.
        case tar
        /// A tar known to be uncompressed.
        case plainTar
        /// Any compression, or none: the decompressed bytes, as the data of one entry.
        case decompressed
    }

    /// Gives the next input bytes, or nil at the end. May block.
    typealias Source = () throws -> [UInt8]?

    private let archive: OpaquePointer
    private let input: Input
    private let entry: OpaquePointer

    /// The source's state, passed to libarchive's callbacks as their client data.
    private final class Input {
        let source: Source
        var buffer: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)
        var failure: (any Error)?
        init(source: @escaping Source) { self.source = source }
        deinit { buffer.deallocate() }
    }

    init(_ format: Format, source: @escaping Source) throws {
        // archive_read_new and archive_entry_new fail only when memory runs out.
        archive = archive_read_new()!
        entry = archive_entry_new()!  // see above
        input = Input(source: source)
        switch format {
        case .tar:
            archive_read_support_filter_all(archive)
            archive_read_support_format_tar(archive)
        case .plainTar:
            archive_read_support_format_tar(archive)
        case .decompressed:
            archive_read_support_filter_all(archive)
            archive_read_support_format_raw(archive)
        }
        let opened = archive_read_open(archive, Unmanaged.passUnretained(input).toOpaque(), nil, { _, data, buffer in
            // `data` is the Input passed below, alive as long as the reader.
            let input = Unmanaged<Input>.fromOpaque(data!).takeUnretainedValue()
            do {
                guard let bytes = try input.source(), !bytes.isEmpty else { return 0 }
                if input.buffer.count < bytes.count {
                    input.buffer.deallocate()
                    input.buffer = .allocate(byteCount: max(bytes.count, 64 * 1024), alignment: 16)
                }
                bytes.withUnsafeBytes { input.buffer.copyMemory(from: $0) }
                buffer?.pointee = UnsafeRawPointer(input.buffer.baseAddress)
                return bytes.count
            } catch {
                input.failure = error  // reported in place of libarchive's own error
                return -1
            }
        }, nil)
        // Every property is set: throwing now runs deinit, which frees the archive and the entry.
        guard opened == ARCHIVE_OK else { throw failure("cannot read the archive") }
    }

    deinit {
        archive_entry_free(entry)
        archive_read_free(archive)
    }

    /// The error libarchive reports, or the source's own.
    private func failure(_ context: String) -> any Error {
        if let error = input.failure { return error }
        let text = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return ArchiveError.invalid("\(context): \(text)")
    }

    /// The next entry's header, or nil at the end of the archive.
    func next() throws -> ArchiveEntry? {
        switch archive_read_next_header2(archive, entry) {
        case ARCHIVE_OK, ARCHIVE_WARN: return ArchiveEntry(entry)
        case ARCHIVE_EOF: return nil
        default: throw failure("invalid tar header")
        }
    }

    /// Reads the current entry's data into `buffer`; 0 at its end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if n < 0 { throw failure("invalid archive data") }
        return n
    }
}

/// One archive entry's header, copied out of libarchive.
struct ArchiveEntry {
    enum Kind: Equatable { case file, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket }

    /// The name as the archive has it (bytes: names need not be UTF-8).
    var path: [UInt8]
    var kind: Kind
    /// Permission bits, with setuid, setgid and sticky.
    var permissions: UInt32
    var uid: Int
    var gid: Int
    var size: Int
    var modified: timespec
    /// A symlink's target, or a hard link's.
    var linkTarget: [UInt8]
    var deviceMajor: UInt32
    var deviceMinor: UInt32
    var xattrs: [(name: String, value: [UInt8])]

    var displayPath: String { String(decoding: path, as: UTF8.self) }
}

extension ArchiveEntry {
    /// Copies the header libarchive read.
    init(_ entry: OpaquePointer) {
        func bytes(_ text: UnsafePointer<CChar>?) -> [UInt8] {
            guard let text else { return [] }
            return Array(UnsafeRawBufferPointer(start: text, count: strlen(text)))
        }
        path = bytes(archive_entry_pathname(entry))
        let hardlink = archive_entry_hardlink(entry)
        let type = UInt32(archive_entry_filetype(entry))
        if hardlink != nil {
            kind = .hardlink
            linkTarget = bytes(hardlink)
        } else {
            switch type {  // libarchive's AE_IF* values are the kernel's
            case FileType.directory: kind = .directory
            case FileType.symlink: kind = .symlink
            case FileType.characterDevice: kind = .characterDevice
            case FileType.blockDevice: kind = .blockDevice
            case FileType.fifo: kind = .fifo
            case FileType.socket: kind = .socket
            default: kind = .file
            }
            linkTarget = kind == .symlink ? bytes(archive_entry_symlink(entry)) : []
        }
        permissions = UInt32(archive_entry_perm(entry)) & 0o7777
        uid = Int(archive_entry_uid(entry))
        gid = Int(archive_entry_gid(entry))
        size = Int(archive_entry_size(entry))
        modified = timespec(tv_sec: archive_entry_mtime(entry), tv_nsec: archive_entry_mtime_nsec(entry))
        deviceMajor = UInt32(archive_entry_rdevmajor(entry))
        deviceMinor = UInt32(archive_entry_rdevminor(entry))
        xattrs = []
        archive_entry_xattr_reset(entry)
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var length = 0
        while archive_entry_xattr_next(entry, &name, &value, &length) == ARCHIVE_OK, let name {
            xattrs.append((String(cString: name), value.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? []))
        }
    }
}
