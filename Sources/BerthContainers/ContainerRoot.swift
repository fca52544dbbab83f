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
