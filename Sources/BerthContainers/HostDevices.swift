import BerthCore
import BerthRuntime
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// The host's device nodes under `/dev`, which a privileged container gets, as runc lists
/// them: every character and block device, except the terminals' and shared memory's
/// directories and the nodes every container has anyway. Blocking.
enum HostDevices {
    private static let skippedDirectories: Set<String> = ["pts", "shm", "mqueue", "fd", "hugepages"]
    private static let ownNodes: Set<String> = ["/dev/console", "/dev/ptmx", "/dev/tty", "/dev/null", "/dev/zero", "/dev/full",
                                                "/dev/random", "/dev/urandom"]

    static func list(under directory: String = "/dev") -> [RuntimeSpec.Device] {
        var devices: [RuntimeSpec.Device] = []
        guard let names = try? listDirectory(directory) else { return [] }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = "\(directory)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let type = UInt32(info.st_mode) & UInt32(S_IFMT)
            if type == UInt32(S_IFDIR) {
                if directory == "/dev", skippedDirectories.contains(name) { continue }
                devices += list(under: path)
            } else if type == UInt32(S_IFCHR) || type == UInt32(S_IFBLK), !ownNodes.contains(path) {
                devices.append(RuntimeSpec.Device(path: path, type: type == UInt32(S_IFCHR) ? "c" : "b",
                                                  major: Int64(berth_major(UInt(info.st_rdev))),
                                                  minor: Int64(berth_minor(UInt(info.st_rdev))), fileMode: UInt32(info.st_mode) & 0o777,
                                                  uid: info.st_uid, gid: info.st_gid))
            }
        }
        return devices
    }
}
