import BerthCore
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Writes a layer's directory (an overlay2 `diff`) as a tar: the reverse of `LayerApplier` with
/// overlay whiteouts, as dockerd's overlay2 driver exports. A 0/0 character device becomes an
/// empty `.wh.<name>` file, a directory with `trusted.overlay.opaque=y` is followed by a
/// `.wh..wh..opq` entry, and the overlay's own xattrs stay out of the archive.
///
/// Entries come parents first, each directory's names in byte order, times in whole seconds, so
/// the same directory gives the same bytes (and the same diff ID). A file with several names is
/// written once and then as hard links to its first name. Sockets are left out, as Docker
/// leaves them. Everything is reached through descriptors with `O_NOFOLLOW`: a symlink in the
/// layer is written as a symlink and never followed. Runs on a thread of a blocking pool.
struct LayerExporter {
    /// The layer's directory, open; the caller closes it.
    let root: Int32
    /// Paths below `root` (`proc`, `etc/hostname`) left out with what is under them.
    var skipping: Set<[UInt8]> = []
    /// Whether `root` is a layer's own directory, whose 0/0 character devices and opaque
    /// directories are overlay whiteouts; false for a container's files as its processes see them.
    var whiteouts = true
    /// When set, only these paths are written (a vfs container's changes; a directory's entry
    /// does not bring what is under it).
    var only: Set<[UInt8]>?
    /// Names to write as deleted (`.wh.<name>`), by the path of their directory (empty: the root).
    var deleted: [[UInt8]: [[UInt8]]] = [:]
    /// Directories written from another open directory (the caller's) than the one found at
    /// their path, by entry path without the trailing `/`: a volume mounted there in a container.
    var substitutes: [[UInt8]: Int32] = [:]

    private struct Inode: Hashable {
        let device: UInt64
        let number: UInt64
    }

    /// Writes every entry below `root` into `writer` (the caller finishes the archive).
    func export(into writer: ArchiveWriter) throws {
        var firstNames: [Inode: [UInt8]] = [:]
        try exportDirectory(root, prefix: [], into: writer, firstNames: &firstNames)
    }

    /// Writes `name` in `root` (`.`: `root` itself) as the entry `path`, with everything under
    /// it when it is a directory.
    func export(_ name: [UInt8], as path: [UInt8], into writer: ArchiveWriter) throws {
        var firstNames: [Inode: [UInt8]] = [:]
        try exportItem(name, in: root, path: path, into: writer, firstNames: &firstNames)
    }

    private func exportDirectory(_ directory: Int32, prefix: [UInt8], into writer: ArchiveWriter,
                                 firstNames: inout [Inode: [UInt8]]) throws {
        var names = try Self.names(in: directory, displayPath: prefix).map { (name: $0, deleted: false) }
        if let only { names.removeAll { !only.contains(prefix + $0.name) } }
        if let gone = deleted[prefix.last == UInt8(ascii: "/") ? Array(prefix.dropLast()) : prefix] {
            names += gone.map { (LayerApplier.whiteoutPrefix + $0, true) }
            names.sort { $0.name.lexicographicallyPrecedes($1.name) }
        }
        for (name, isWhiteout) in names {
            let path = prefix + name
            guard !isWhiteout else {
                try writer.add(ArchiveEntry(path: path, kind: .file, permissions: 0o600, uid: 0, gid: 0, size: 0, modified: timespec(),
                                            linkTarget: [], deviceMajor: 0, deviceMinor: 0, xattrs: []))
                continue
            }
            if skipping.contains(path) { continue }
            try exportItem(name, in: directory, path: path, into: writer, firstNames: &firstNames)
        }
    }

    private func exportItem(_ name: [UInt8], in directory: Int32, path: [UInt8], into writer: ArchiveWriter,
                            firstNames: inout [Inode: [UInt8]]) throws {
        var info = stat()
        guard fstatat(directory, name.cString, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw ArchiveError.system(path, "stat", errno)
        }
        var entry = ArchiveEntry(path: path, kind: .file, permissions: UInt32(info.st_mode) & 0o7777,
                                 uid: Int(info.st_uid), gid: Int(info.st_gid), size: 0, modified: info.st_mtim,
                                 linkTarget: [], deviceMajor: 0, deviceMinor: 0, xattrs: [])
        switch UInt32(info.st_mode) & FileType.mask {
        case FileType.directory:
            entry.kind = .directory
            entry.path += [UInt8(ascii: "/")]
            let substitute = substitutes[path]
            if let substitute {
                var mounted = stat()
                guard fstat(substitute, &mounted) == 0 else { throw ArchiveError.system(path, "stat", errno) }
                entry.permissions = UInt32(mounted.st_mode) & 0o7777
                (entry.uid, entry.gid, entry.modified) = (Int(mounted.st_uid), Int(mounted.st_gid), mounted.st_mtim)
            }
            let xattrs = substitute == nil ? try Self.xattrs(of: name, in: directory, path: path) : []
            entry.xattrs = xattrs.filter { Self.exported($0.name) }
            try writer.add(entry)
            if let substitute {
                return try exportDirectory(substitute, prefix: entry.path, into: writer, firstNames: &firstNames)
            }
            if whiteouts, xattrs.contains(where: { $0.name == "trusted.overlay.opaque" && $0.value == [UInt8(ascii: "y")] }) {
                try writer.add(ArchiveEntry(path: entry.path + LayerApplier.opaqueMarker, kind: .file,
                                            permissions: entry.permissions & 0o777, uid: entry.uid, gid: entry.gid,
                                            size: 0, modified: timespec(), linkTarget: [], deviceMajor: 0,
                                            deviceMinor: 0, xattrs: []))
            }
            let child = berth_openat(directory, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
            guard child >= 0 else { throw ArchiveError.system(path, "open", errno) }
            defer { close(child) }
            try exportDirectory(child, prefix: entry.path, into: writer, firstNames: &firstNames)
        case FileType.characterDevice where whiteouts && info.st_rdev == 0:
            // overlayfs's whiteout: what the lower layers have under this name is gone.
            entry.path = Array(path.dropLast(name.count)) + LayerApplier.whiteoutPrefix + name
            entry.permissions = 0o600
            try writer.add(entry)
        case FileType.characterDevice, FileType.blockDevice:
            entry.kind = UInt32(info.st_mode) & FileType.mask == FileType.characterDevice ? .characterDevice : .blockDevice
            entry.deviceMajor = berth_major(UInt(info.st_rdev))
            entry.deviceMinor = berth_minor(UInt(info.st_rdev))
            entry.xattrs = try Self.xattrs(of: name, in: directory, path: path).filter { Self.exported($0.name) }
            try writer.add(entry)
        case FileType.fifo:
            entry.kind = .fifo
            entry.xattrs = try Self.xattrs(of: name, in: directory, path: path).filter { Self.exported($0.name) }
            try writer.add(entry)
        case FileType.symlink:
            entry.kind = .symlink
            entry.linkTarget = try Self.linkTarget(of: name, in: directory, path: path)
            try writer.add(entry)
        case FileType.regular:
            let inode = Inode(device: UInt64(info.st_dev), number: UInt64(info.st_ino))
            if info.st_nlink > 1, let first = firstNames[inode] {
                entry.kind = .hardlink
                entry.linkTarget = first
                try writer.add(entry)
                return
            }
            if info.st_nlink > 1 { firstNames[inode] = path }
            entry.size = Int(info.st_size)
            entry.xattrs = try Self.xattrs(of: name, in: directory, path: path).filter { Self.exported($0.name) }
            let file = berth_openat(directory, name.cString, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0)
            guard file >= 0 else { throw ArchiveError.system(path, "open", errno) }
            defer { close(file) }
            try writer.add(entry, contents: file)
        default:
            return  // a socket
        }
    }

    /// The overlay's bookkeeping (`trusted.overlay.*`) describes this host's mount, and an SELinux
    /// label this host's policy; neither belongs in an image.
    private static func exported(_ xattr: String) -> Bool {
        !xattr.hasPrefix("trusted.overlay.") && xattr != "security.selinux"
    }

    /// A directory's names without `.` and `..`, in byte order.
    private static func names(in directory: Int32, displayPath: [UInt8]) throws -> [[UInt8]] {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw ArchiveError.system(displayPath, "opendir", errno)
        }
        defer { closedir(stream) }  // closes `copy`
        var names: [[UInt8]] = []
        errno = 0
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { names.append(name) }
        }
        guard errno == 0 else { throw ArchiveError.system(displayPath, "readdir", errno) }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    private static func linkTarget(of name: [UInt8], in directory: Int32, path: [UInt8]) throws -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let n = readlinkat(directory, name.cString, &buffer, buffer.count)
        guard n >= 0 else { throw ArchiveError.system(path, "readlink", errno) }
        return buffer[..<n].map { UInt8(bitPattern: $0) }
    }

    /// Every extended attribute of `name` (not followed if it is a symlink), names in byte order.
    private static func xattrs(of name: [UInt8], in directory: Int32, path: [UInt8]) throws -> [(name: String, value: [UInt8])] {
        var list = [CChar](repeating: 0, count: 4096)
        var n = berth_llistxattrat(directory, name.cString, &list, list.count)
        if n < 0 && errno == ERANGE {
            let needed = berth_llistxattrat(directory, name.cString, nil, 0)
            guard needed >= 0 else { throw ArchiveError.system(path, "listxattr", errno) }
            list = [CChar](repeating: 0, count: needed)
            n = berth_llistxattrat(directory, name.cString, &list, list.count)
        }
        if n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP) { return [] }
        guard n >= 0 else { throw ArchiveError.system(path, "listxattr", errno) }
        let names = list[..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        var result: [(name: String, value: [UInt8])] = []
        for attribute in names.sorted() {
            var value = [UInt8](repeating: 0, count: 64 * 1024)  // the kernel's largest xattr value
            let length = berth_lgetxattrat(directory, name.cString, attribute, &value, value.count)
            if length < 0 && errno == ENODATA { continue }  // removed meanwhile
            guard length >= 0 else { throw ArchiveError.system(path, "getxattr \(attribute)", errno) }
            result.append((attribute, Array(value[..<length])))
        }
        return result
    }
}
