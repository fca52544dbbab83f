import BerthCore
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Files inside a container's root file system, reached from the daemon without letting a
/// symlink or `..` in the image lead outside it (every path resolves as if the root were `/`).
/// Blocking: call from a blocking pool.
struct ContainerRoot {
    let path: String

    /// The contents of `file` (absolute inside the root), or nil if it cannot be read.
    func read(_ file: String, limit: Int = 1 << 20) -> [UInt8]? {
        let root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { return nil }
        defer { close(root) }
        let fd = berth_openat_in_root(root, file, O_RDONLY | O_CLOEXEC, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 14)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[..<n]
        }
        return bytes
    }

    /// Creates directory `directory` (absolute inside the root) and its missing parents, as
    /// dockerd does for a working directory the image lacks.
    func makeDirectories(_ directory: String) throws {
        let root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw FileError("open", path, code: errno) }
        defer { close(root) }
        var current = "/"
        for component in directory.split(separator: "/") where component != "." {
            let next = current == "/" ? "/\(component)" : "\(current)/\(component)"
            let fd = berth_openat_in_root(root, next, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
            if fd >= 0 {
                close(fd)
            } else if errno == ENOENT {
                let parent = berth_openat_in_root(root, current, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
                guard parent >= 0 else { throw FileError("open", current, code: errno) }
                let made = mkdirat(parent, String(component), 0o755)
                let code = errno
                close(parent)
                guard made == 0 || code == EEXIST else { throw FileError("mkdir", next, code: code) }
            } else {
                throw FileError("open", next, code: errno)
            }
            current = next
        }
    }

    /// Resolves `user` (`name`, `uid`, `name:group`, `uid:gid`) against the root's
    /// `/etc/passwd` and `/etc/group`, with the groups that list the user, as dockerd does.
    func resolveUser(_ user: String) throws -> (uid: UInt32, gid: UInt32, additional: [UInt32], home: String) {
        let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts.first ?? ""
        let passwd = (read("/etc/passwd").map { String(decoding: $0, as: UTF8.self) } ?? "")
            .split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 7 }
        let groups = (read("/etc/group").map { String(decoding: $0, as: UTF8.self) } ?? "")
            .split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 4 }
        var uid: UInt32 = 0, gid: UInt32 = 0
        var name = ""
        var home = "/"
        if userPart.isEmpty {
            uid = 0
        } else if let entry = passwd.first(where: { $0[0] == userPart }) ?? UInt32(userPart).flatMap({ number in
            passwd.first { UInt32($0[2]) == number }
        }) {
            uid = UInt32(entry[2]) ?? 0
            gid = UInt32(entry[3]) ?? 0
            name = entry[0]
            home = entry[5]
        } else if let number = UInt32(userPart), number < UInt32.max {
            uid = number
        } else {
            throw ContainerStartError(message: "unable to find user \(userPart): no matching entries in passwd file", code: 128)
        }
        if parts.count == 2, !parts[1].isEmpty {
            if let entry = groups.first(where: { $0[0] == parts[1] }) {
                gid = UInt32(entry[2]) ?? 0
            } else if let number = UInt32(parts[1]), number < UInt32.max {
                gid = number
            } else {
                throw ContainerStartError(message: "unable to find group \(parts[1]): no matching entries in group file", code: 128)
            }
        }
        let additional = name.isEmpty ? [] : groups.filter { entry in
            entry[3].split(separator: ",").contains { $0 == name }
        }.compactMap { UInt32($0[2]) }.filter { $0 != gid }
        return (uid, gid, additional, home)
    }
}

/// A start that failed before the command ran, with the exit code dockerd records (127 for a
/// missing command, 126 when it cannot run, 128 otherwise).
struct ContainerStartError: Error, KindedError, CustomStringConvertible {
    let message: String
    let code: Int32
    var kind: ErrorKind { .invalidParameter }
    var description: String { message }
}

extension ContainerRoot {
    /// Copies the directory `source` (inside the root) into the host directory `target`, which
    /// takes its mode and owner: files, directories and symlinks, with their modes and owners,
    /// never following a symlink. Nothing at `source` copies nothing.
    func copyDirectory(_ source: String, to target: String) throws {
        let root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw FileError("open", path, code: errno) }
        defer { close(root) }
        let from = berth_openat_in_root(root, source, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard from >= 0 else { return }
        defer { close(from) }
        let to = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard to >= 0 else { throw FileError("open", target, code: errno) }
        defer { close(to) }
        var info = stat()
        if fstat(from, &info) == 0 {
            fchown(to, info.st_uid, info.st_gid)
            fchmod(to, info.st_mode & 0o7777)
        }
        try Self.copyEntries(from: from, to: to, path: target)
    }

    private static func copyEntries(from: Int32, to: Int32, path: String) throws {
        let listing = dup(from)
        guard listing >= 0, let dir = fdopendir(listing) else { throw FileError("opendir", path, code: errno) }
        var names: [String] = []
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names {
            var info = stat()
            guard fstatat(from, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let mode = UInt32(info.st_mode) & UInt32(S_IFMT)
            if mode == UInt32(S_IFDIR) {
                guard mkdirat(to, name, 0o700) == 0 || errno == EEXIST else { throw FileError("mkdir", "\(path)/\(name)", code: errno) }
                let child = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                let copy = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                defer {
                    if child >= 0 { close(child) }
                    if copy >= 0 { close(copy) }
                }
                guard child >= 0, copy >= 0 else { throw FileError("open", "\(path)/\(name)", code: errno) }
                try copyEntries(from: child, to: copy, path: "\(path)/\(name)")
            } else if mode == UInt32(S_IFREG) {
                let input = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                guard input >= 0 else { continue }
                defer { close(input) }
                let output = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                guard output >= 0 else { throw FileError("create", "\(path)/\(name)", code: errno) }
                defer { close(output) }
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { break }
                    var written = 0
                    while written < n {
                        let w = buffer.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + written, n - written) }  // !: a non-empty array
                        guard w > 0 else { throw FileError("write", "\(path)/\(name)", code: errno) }
                        written += w
                    }
                }
            } else if mode == UInt32(S_IFLNK) {
                var link = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlinkat(from, name, &link, link.count - 1)
                guard count >= 0 else { continue }
                link[count] = 0
                guard symlinkat(link, to, name) == 0 else { throw FileError("symlink", "\(path)/\(name)", code: errno) }
            } else {
                continue  // devices, fifos and sockets are not copied
            }
            fchownat(to, name, info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW)
            if mode != UInt32(S_IFLNK) { fchmodat(to, name, info.st_mode & 0o7777, 0) }
        }
    }
}
