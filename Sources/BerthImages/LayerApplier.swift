import BerthCore
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Applies a layer's tar to a directory, through the directory's descriptor: every path is
/// resolved inside it (`openat2` with `RESOLVE_IN_ROOT`), and every final component is created
/// or changed without following it, so nothing in the archive can reach outside the directory.
/// Names with `..` in them are refused; absolute names are read as relative to the layer.
///
/// Whiteouts follow the overlay2 driver: with `.overlay`, `.wh.<name>` becomes a 0/0 character
/// device and `.wh..wh..opq` the `trusted.overlay.opaque=y` xattr on its directory; with
/// `.delete` (vfs, whose layer directory starts as a copy of its parent), they delete what they
/// name; with `.none` (`docker cp` into a container), `.wh.` names are ordinary files. Runs on
/// a thread of a blocking pool.
final class LayerApplier {
    enum Whiteouts { case overlay, delete, none }

    private let root: Int32
    private let whiteouts: Whiteouts
    /// Refuse to replace a directory with something else or something else with a directory.
    var noOverwriteDirNonDir = false
    /// The owner of everything applied, instead of the archive's (`docker cp -a`).
    var owner: (uid: UInt32, gid: UInt32)?
    /// Directories' times are set last: creating their children changes them.
    private var directoryTimes: [(path: [UInt8], time: timespec)] = []
    /// What this layer created (`.delete` mode's opaque directories keep it).
    private var created: Set<[UInt8]> = []
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 * 1024, alignment: 16)
    private let mayChown = geteuid() == 0
    /// The bytes of the regular files applied.
    private(set) var size = 0

    /// - Parameter root: the layer's directory, open; the caller closes it.
    init(root: Int32, whiteouts: Whiteouts) {
        self.root = root
        self.whiteouts = whiteouts
    }

    deinit { buffer.deallocate() }

    /// Applies every entry of `reader`, then the directories' times.
    func apply(_ reader: ArchiveReader) throws {
        while let entry = try reader.next() {
            try apply(entry, reader)
        }
        for (path, time) in directoryTimes.reversed() {
            let fd = berth_openat_in_root(root, path.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)
            guard fd >= 0 else { continue }  // replaced by a later entry
            var times = (time, time)
            _ = withUnsafePointer(to: &times) { $0.withMemoryRebound(to: timespec.self, capacity: 2) { futimens(fd, $0) } }
            close(fd)
        }
    }

    // MARK: Entries

    private func apply(_ entry: ArchiveEntry, _ reader: ArchiveReader) throws {
        let components = try Self.components(of: entry.path, for: entry.path)
        guard let name = components.last else { return }  // the layer's root itself: left as it is
        let parentPath = Self.join(components.dropLast())
        if whiteouts != .none, name.starts(with: Self.whiteoutPrefix) {
            return try applyWhiteout(name, in: parentPath, entry)
        }
        let parent = try openDirectory(parentPath, for: entry.path)
        defer { close(parent) }
        let fullPath = Self.join(components[...])
        if entry.kind == .socket { return }
        try removeExisting(name, in: parent, keepingDirectory: entry.kind == .directory, for: entry.path)
        switch entry.kind {
        case .directory:
            if mkdirat(parent, name.cString, 0o700) != 0 && errno != EEXIST { throw ArchiveError.system(entry.path, "mkdir", errno) }
            let fd = berth_openat(parent, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
            guard fd >= 0 else { throw ArchiveError.system(entry.path, "open", errno) }
            defer { close(fd) }
            try setOwnerModeAndXattrs(fd: fd, entry)
            directoryTimes.append((fullPath, entry.modified))
        case .file:
            let fd = berth_openat(parent, name.cString, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ArchiveError.system(entry.path, "create", errno) }
            defer { close(fd) }
            try copyData(of: reader, to: fd, for: entry.path)
            size += entry.size
            try setOwnerModeAndXattrs(fd: fd, entry)
            try setTimes(fd: fd, entry)
        case .symlink:
            guard symlinkat(entry.linkTarget.cString, parent, name.cString) == 0 else { throw ArchiveError.system(entry.path, "symlink", errno) }
            size += entry.linkTarget.count  // a symlink's size is its target's length, as dockerd counts it
            try setOwner(parent, name, entry)
            try setXattrs(parent, name, entry)
            var times = (entry.modified, entry.modified)
            _ = withUnsafePointer(to: &times) {
                $0.withMemoryRebound(to: timespec.self, capacity: 2) { utimensat(parent, name.cString, $0, AT_SYMLINK_NOFOLLOW) }
            }
        case .hardlink:
            let targetComponents = try Self.components(of: entry.linkTarget, for: entry.path)
            guard let targetName = targetComponents.last else { throw ArchiveError.entry(entry.path, "hard link to the layer's root") }
            let targetParentPath = Self.join(targetComponents.dropLast())
            let targetParent = berth_openat_in_root(root, (targetParentPath.isEmpty ? [UInt8(ascii: ".")] : targetParentPath).cString,
                                                    O_RDONLY | O_DIRECTORY, 0)
            guard targetParent >= 0 else {
                throw ArchiveError.entry(entry.path, "hard link target \(GoQuotedPath(entry.linkTarget)) is not in the layer")
            }
            defer { close(targetParent) }
            guard linkat(targetParent, targetName.cString, parent, name.cString, 0) == 0 else {
                if errno == ENOENT {
                    throw ArchiveError.entry(entry.path, "hard link target \(GoQuotedPath(entry.linkTarget)) is not in the layer")
                }
                throw ArchiveError.system(entry.path, "link", errno)
            }
        case .characterDevice, .blockDevice, .fifo:
            let type = entry.kind == .fifo ? FileType.fifo : entry.kind == .blockDevice ? FileType.blockDevice : FileType.characterDevice
            let device = entry.kind == .fifo ? 0 : berth_makedev(entry.deviceMajor, entry.deviceMinor)
            guard mknodat(parent, name.cString, mode_t(type | entry.permissions), dev_t(device)) == 0 else {
                throw ArchiveError.system(entry.path, "mknod", errno)
            }
            try setOwner(parent, name, entry)
            if fchmodat(parent, name.cString, mode_t(entry.permissions), 0) != 0 { throw ArchiveError.system(entry.path, "chmod", errno) }
            try setXattrs(parent, name, entry)
            var times = (entry.modified, entry.modified)
            _ = withUnsafePointer(to: &times) {
                $0.withMemoryRebound(to: timespec.self, capacity: 2) { utimensat(parent, name.cString, $0, AT_SYMLINK_NOFOLLOW) }
            }
        case .socket:
            break
        }
        created.insert(fullPath)
    }

    private func applyWhiteout(_ name: [UInt8], in parentPath: [UInt8], _ entry: ArchiveEntry) throws {
        let parent = try openDirectory(parentPath, for: entry.path)
        defer { close(parent) }
        if name == Self.opaqueMarker {
            switch whiteouts {
            case .overlay:
                let value: [UInt8] = [UInt8(ascii: "y")]
                guard berth_fsetxattr(parent, "trusted.overlay.opaque", value, 1) == 0 else {
                    throw ArchiveError.system(entry.path, "setxattr trusted.overlay.opaque", errno)
                }
            case .delete:
                // Everything the lower layers put here goes; what this layer put here stays.
                for child in try listDirectory(parent, for: entry.path)
                where !created.contains(Self.join([parentPath, child].filter { !$0.isEmpty }[...])) {
                    try removeAll(child, in: parent, for: entry.path)
                }
            case .none:
                break  // not called: `.wh.` names are plain files then
            }
            return
        }
        if name.starts(with: Self.metadataPrefix) { return }  // other .wh..wh. files belong to aufs
        let target = Array(name.dropFirst(Self.whiteoutPrefix.count))
        guard !target.isEmpty, target != [UInt8(ascii: ".")], target != [UInt8(ascii: "."), UInt8(ascii: ".")] else {
            throw ArchiveError.entry(entry.path, "invalid whiteout")
        }
        try removeAll(target, in: parent, for: entry.path)
        if whiteouts == .overlay {
            guard mknodat(parent, target.cString, mode_t(FileType.characterDevice), dev_t(berth_makedev(0, 0))) == 0 else {
                throw ArchiveError.system(entry.path, "mknod whiteout", errno)
            }
            if mayChown { _ = fchownat(parent, target.cString, 0, 0, AT_SYMLINK_NOFOLLOW) }
            // The whiteout keeps the entry's time, so that exporting the layer again gives the same bytes.
            var times = (entry.modified, entry.modified)
            _ = withUnsafePointer(to: &times) {
                $0.withMemoryRebound(to: timespec.self, capacity: 2) { utimensat(parent, target.cString, $0, AT_SYMLINK_NOFOLLOW) }
            }
        }
    }

    // MARK: Paths

    static let whiteoutPrefix = Array(".wh.".utf8)
    static let metadataPrefix = Array(".wh..wh.".utf8)
    static let opaqueMarker = Array(".wh..wh..opq".utf8)

    /// The components of an archive name: empty and `.` ones dropped (so a leading `/` is too);
    /// `..` refused.
    static func components(of path: [UInt8], for entry: [UInt8]) throws -> [[UInt8]] {
        var result: [[UInt8]] = []
        for part in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                throw ArchiveError.entry(entry, "\(GoQuotedPath(path)) leads outside the layer")
            }
            result.append(Array(part))
        }
        return result
    }

    static func join(_ components: ArraySlice<[UInt8]>) -> [UInt8] {
        Array(components.joined(separator: [UInt8(ascii: "/")]))
    }

    /// A directory of the layer, resolved inside it; missing ones are created (0755).
    private func openDirectory(_ path: [UInt8], for entry: [UInt8]) throws -> Int32 {
        let target = path.isEmpty ? [UInt8(ascii: ".")] : path
        let fd = berth_openat_in_root(root, target.cString, O_RDONLY | O_DIRECTORY, 0)
        if fd >= 0 { return fd }
        let code = errno
        guard code == ENOENT, !path.isEmpty else {
            if code == ENOTDIR { throw ArchiveError.entry(entry, "\(GoQuotedPath(path)) is not a directory") }
            throw ArchiveError.system(entry, "open \(String(decoding: path, as: UTF8.self))", code)
        }
        // Create the missing directories one level at a time, each inside the one before.
        var components = path.split(separator: UInt8(ascii: "/")).map(Array.init)
        let last = components.removeLast()
        let parent = try openDirectory(Self.join(components[...]), for: entry)
        defer { close(parent) }
        if mkdirat(parent, last.cString, 0o755) != 0 && errno != EEXIST { throw ArchiveError.system(entry, "mkdir", errno) }
        _ = fchmodat(parent, last.cString, 0o755, 0)
        created.insert(path)
        let made = berth_openat_in_root(root, path.cString, O_RDONLY | O_DIRECTORY, 0)
        guard made >= 0 else {
            // The name is there but leads nowhere: a symlink to a directory that does not exist.
            if errno == ENOENT || errno == ENOTDIR { throw ArchiveError.entry(entry, "\(GoQuotedPath(path)) is not a directory") }
            throw ArchiveError.system(entry, "open", errno)
        }
        return made
    }

    /// Makes room for a new entry: whatever is at `name` goes, unless it and the entry are both
    /// directories (a directory entry then updates the one there).
    private func removeExisting(_ name: [UInt8], in parent: Int32, keepingDirectory: Bool, for entry: [UInt8]) throws {
        var info = stat()
        guard fstatat(parent, name.cString, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        let isDirectory = UInt32(info.st_mode) & FileType.mask == FileType.directory
        if keepingDirectory && isDirectory { return }
        if noOverwriteDirNonDir && isDirectory != keepingDirectory {
            let quoted = GoQuotedPath(entry)
            throw ArchiveError.invalid(isDirectory ? "cannot overwrite directory \(quoted) with non-directory \(quoted)"
                                                   : "cannot overwrite non-directory \(quoted) with directory \(quoted)")
        }
        try removeAll(name, in: parent, for: entry)
    }

    /// Removes `name` from `parent`, a directory with all it holds; absent is fine.
    private func removeAll(_ name: [UInt8], in parent: Int32, for entry: [UInt8]) throws {
        var info = stat()
        guard fstatat(parent, name.cString, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        if UInt32(info.st_mode) & FileType.mask == FileType.directory {
            let fd = berth_openat(parent, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
            guard fd >= 0 else { throw ArchiveError.system(entry, "open", errno) }
            defer { close(fd) }
            for child in try listDirectory(fd, for: entry) { try removeAll(child, in: fd, for: entry) }
            guard unlinkat(parent, name.cString, AT_REMOVEDIR) == 0 else { throw ArchiveError.system(entry, "rmdir", errno) }
        } else {
            guard unlinkat(parent, name.cString, 0) == 0 else { throw ArchiveError.system(entry, "unlink", errno) }
        }
    }

    /// The names in a directory (without `.` and `..`).
    private func listDirectory(_ fd: Int32, for entry: [UInt8]) throws -> [[UInt8]] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else { throw ArchiveError.system(entry, "opendir", errno) }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        return names
    }

    // MARK: Metadata

    private func copyData(of reader: ArchiveReader, to fd: Int32, for entry: [UInt8]) throws {
        while true {
            let n = try reader.read(into: buffer)
            if n == 0 { return }
            var offset = 0
            while offset < n {
                let written = write(fd, buffer.baseAddress! + offset, n - offset)  // the buffer is allocated
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw ArchiveError.system(entry, "write", errno) }
                offset += written
            }
        }
    }

    /// Owner first: changing it clears the setuid and setgid bits the mode then sets.
    private func setOwnerModeAndXattrs(fd: Int32, _ entry: ArchiveEntry) throws {
        if mayChown && fchown(fd, owner?.uid ?? uid_t(truncatingIfNeeded: entry.uid), owner?.gid ?? gid_t(truncatingIfNeeded: entry.gid)) != 0 {
            throw ArchiveError.system(entry.path, "chown", errno)
        }
        guard fchmod(fd, mode_t(entry.permissions)) == 0 else { throw ArchiveError.system(entry.path, "chmod", errno) }
        for (name, value) in entry.xattrs where Self.mayApply(name) {
            guard berth_fsetxattr(fd, name, value, value.count) == 0 else {
                throw ArchiveError.system(entry.path, "setxattr \(name)", errno)
            }
        }
    }

    private func setOwner(_ parent: Int32, _ name: [UInt8], _ entry: ArchiveEntry) throws {
        if mayChown && fchownat(parent, name.cString, owner?.uid ?? uid_t(truncatingIfNeeded: entry.uid),
                                owner?.gid ?? gid_t(truncatingIfNeeded: entry.gid), AT_SYMLINK_NOFOLLOW) != 0 {
            throw ArchiveError.system(entry.path, "lchown", errno)
        }
    }

    private func setXattrs(_ parent: Int32, _ name: [UInt8], _ entry: ArchiveEntry) throws {
        for (attribute, value) in entry.xattrs where Self.mayApply(attribute) {
            guard berth_lsetxattrat(parent, name.cString, attribute, value, value.count) == 0 else {
                throw ArchiveError.system(entry.path, "lsetxattr \(attribute)", errno)
            }
        }
    }

    private func setTimes(fd: Int32, _ entry: ArchiveEntry) throws {
        var times = (entry.modified, entry.modified)
        _ = withUnsafePointer(to: &times) { $0.withMemoryRebound(to: timespec.self, capacity: 2) { futimens(fd, $0) } }
    }

    /// An archive may not set overlayfs's own attributes: they would change what the layer
    /// hides in the ones below it.
    private static func mayApply(_ xattr: String) -> Bool {
        !xattr.hasPrefix("trusted.overlay.")
    }
}

/// A name from an archive, quoted for a message.
func GoQuotedPath(_ path: [UInt8]) -> String {
    GoQuoted.quoted(String(decoding: path, as: UTF8.self))
}

extension Array where Element == UInt8 {
    /// The bytes with a terminating NUL, for C calls.
    var cString: [CChar] { map { CChar(bitPattern: $0) } + [0] }
}
