import BerthCore
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Turns a layer's tar (compressed or not) into a layer directory and a copy of the uncompressed
/// tar, hashing it on the way: one pass, in bounded memory, on a thread of a blocking pool. The
/// work happens in temporary directories the store renames into place, or removes on failure.
struct LayerWriter {
    let layout: StorageLayout
    /// The uncompressed tars of the layers below, bottom first (vfs replays them).
    let lowerTars: [String]

    /// What one write produced, still under its temporary names.
    struct Written {
        let diffID: Digest
        let size: Int
        let cacheID: String
        /// The layer's directory for the driver (`overlay2/tmp-<id>` or `vfs/dir/tmp-<id>`).
        let driverDirectory: String
        /// A temporary layerdb directory holding `layer.tar`.
        let metadataDirectory: String
    }

    /// Reads `source` to its end.
    func write(from source: @escaping ArchiveReader.Source) throws -> Written {
        let cacheID = randomHex(32)
        let driverDirectory = "\(layout.driverRoot)/tmp-\(cacheID)"
        let metadataDirectory = "\(layout.layerDB)/tmp-\(cacheID)"
        do {
            try layout.makeDirectories(metadataDirectory)
            let contents = layout.driver == .overlay2 ? driverDirectory + "/diff" : driverDirectory
            try layout.makeDirectories(contents)
            chmod(contents, 0o755)
            if layout.driver == .overlay2 { try layout.makeDirectories(driverDirectory + "/work") }
            let root = open(contents, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard root >= 0 else { throw FileError("open", contents) }
            defer { close(root) }
            for tar in lowerTars { try Self.replay(tar, into: root) }
            let tarPath = metadataDirectory + "/layer.tar"
            let (diffID, size) = try Self.apply(source, into: root, whiteouts: layout.driver == .overlay2 ? .overlay : .delete,
                                                copyTo: tarPath)
            return Written(diffID: diffID, size: size, cacheID: cacheID, driverDirectory: driverDirectory,
                           metadataDirectory: metadataDirectory)
        } catch {
            try? removeTree(driverDirectory)
            try? removeTree(metadataDirectory)
            throw error
        }
    }

    /// Applies the tar `source` gives (decompressing it) to `root`, keeps the uncompressed bytes
    /// in `copyTo`, and returns their digest and the bytes of the files applied.
    static func apply(_ source: @escaping ArchiveReader.Source, into root: Int32, whiteouts: LayerApplier.Whiteouts,
                      copyTo path: String) throws -> (Digest, Int) {
        let copy = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard copy >= 0 else { throw FileError("create", path) }
        defer { close(copy) }
        let decompressor = try ArchiveReader(.decompressed, source: source)
        guard try decompressor.next() != nil else { throw ArchiveError.invalid("empty layer") }
        let hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        /// The next uncompressed bytes, hashed and copied on the way to the tar reader.
        func pull() throws -> [UInt8]? {
            let n = try decompressor.read(into: buffer)
            guard n > 0 else { return nil }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<n])
            hasher.update(bytes)
            try writeAll(copy, bytes, path)
            return Array(bytes)
        }
        let tar = try ArchiveReader(.plainTar, source: pull)
        let applier = LayerApplier(root: root, whiteouts: whiteouts)
        try applier.apply(tar)
        // Whatever follows the end-of-archive blocks belongs to the layer's digest too.
        while try pull() != nil {}
        guard fsync(copy) == 0 else { throw FileError("fsync", path) }
        return (hasher.finish(), applier.size)
    }

    /// Applies a stored, uncompressed layer tar (vfs builds each layer on a copy of those below).
    static func replay(_ tarPath: String, into root: Int32) throws {
        let fd = open(tarPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError("open", tarPath) }
        defer { close(fd) }
        let tar = try ArchiveReader(.plainTar, source: fileSource(fd, tarPath))
        try LayerApplier(root: root, whiteouts: .delete).apply(tar)
    }

    /// Reads a file in 128 KiB pieces.
    static func fileSource(_ fd: Int32, _ path: String) -> ArchiveReader.Source {
        {
            var chunk = [UInt8](repeating: 0, count: 128 * 1024)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw FileError("read", path) }
                if n == 0 { return nil }
                chunk.removeLast(chunk.count - n)
                return chunk
            }
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)  // offset < count: not empty
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FileError("write", path) }
            offset += n
        }
    }
}
