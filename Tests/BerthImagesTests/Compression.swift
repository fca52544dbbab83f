import CArchive

/// Compresses bytes with libarchive's filters, as a client's compressed layer would be.
enum Compression: String, CaseIterable, Sendable {
    case gzip, xz, zstd, bzip2

    func compress(_ bytes: [UInt8]) -> [UInt8] {
        let archive = archive_write_new()!  // fails only without memory
        defer { archive_write_free(archive) }
        switch self {
        case .gzip: archive_write_add_filter_gzip(archive)
        case .xz: archive_write_add_filter_xz(archive)
        case .zstd: archive_write_add_filter_zstd(archive)
        case .bzip2: archive_write_add_filter_bzip2(archive)
        }
        archive_write_set_format_raw(archive)
        archive_write_set_bytes_in_last_block(archive, 1)
        var output = [UInt8](repeating: 0, count: bytes.count + 4096)
        var used = 0
        output.withUnsafeMutableBytes { raw in
            _ = archive_write_open_memory(archive, raw.baseAddress, raw.count, &used)
            let entry = archive_entry_new()!  // as above
            archive_entry_set_filetype(entry, 0o100000)
            archive_write_header(archive, entry)
            archive_entry_free(entry)
            _ = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            archive_write_close(archive)
        }
        return Array(output[..<used])
    }
}
