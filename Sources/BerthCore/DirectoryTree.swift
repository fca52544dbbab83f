#if canImport(Glibc)
import Glibc
#endif

/// The names in a directory, without `.` and `..`; empty if it does not exist. Blocking.
public func listDirectory(_ path: String) throws(FileError) -> [String] {
    guard let dir = opendir(path) else {
        if errno == ENOENT { return [] }
        throw FileError("opendir", path)
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let item = readdir(dir) {
        let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Removes a directory tree without following symlinks (`rm -rf` of a path whose contents a
/// client or a container made). Nothing there is not an error. Blocking.
public func removeTree(_ path: String) throws(FileError) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    guard UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFDIR) else {
        guard unlink(path) == 0 else { throw FileError("unlink", path) }
        return
    }
    for name in try listDirectory(path) { try removeTree(path + "/" + name) }
    guard rmdir(path) == 0 else { throw FileError("rmdir", path) }
}

/// The bytes of the files under `path` (`du --apparent-size`), without following symlinks.
/// Blocking.
public func treeSize(_ path: String) -> Int64 {
    var info = stat()
    guard lstat(path, &info) == 0 else { return 0 }
    guard UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFDIR) else { return Int64(info.st_size) }
    return ((try? listDirectory(path)) ?? []).reduce(0) { $0 + treeSize(path + "/" + $1) }
}
