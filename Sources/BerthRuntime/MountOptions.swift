#if canImport(Glibc)
import Glibc
#endif

/// A mount's `options` as mount(2) takes them: flags, propagation flags, and the rest as the
/// file system's data string.
struct MountOptions: Equatable {
    var flags: UInt = 0
    /// Flags to clear from the defaults (`rw`, `suid`, `dev`, `exec`, …) are simply not set.
    var propagation: [UInt] = []
    var data: [String] = []
    var isBind: Bool { flags & UInt(MS_BIND) != 0 }
    var isReadOnly: Bool { flags & UInt(MS_RDONLY) != 0 }

    init(_ options: [String]) {
        for option in options {
            if let flag = Self.flags[option] {
                flags |= flag
            } else if let clear = Self.clearing[option] {
                flags &= ~clear
            } else if let propagation = Self.propagations[option] {
                self.propagation.append(propagation)
            } else {
                data.append(option)
            }
        }
    }

    /// The data string, or nil when there is none (mount(2) copies a page for "").
    var dataString: String? { data.isEmpty ? nil : data.joined(separator: ",") }

    /// Flags that a bind mount only takes on a second, remounting call.
    var bindRemountFlags: UInt {
        flags & UInt(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)
    }

    private static let flags: [String: UInt] = [
        "ro": UInt(MS_RDONLY), "nosuid": UInt(MS_NOSUID), "nodev": UInt(MS_NODEV), "noexec": UInt(MS_NOEXEC),
        "sync": UInt(MS_SYNCHRONOUS), "dirsync": UInt(MS_DIRSYNC), "remount": UInt(MS_REMOUNT), "mand": UInt(MS_MANDLOCK),
        "noatime": UInt(MS_NOATIME), "nodiratime": UInt(MS_NODIRATIME), "relatime": UInt(MS_RELATIME),
        "strictatime": UInt(MS_STRICTATIME), "bind": UInt(MS_BIND), "rbind": UInt(MS_BIND | MS_REC),
    ]
    private static let clearing: [String: UInt] = [
        "rw": UInt(MS_RDONLY), "suid": UInt(MS_NOSUID), "dev": UInt(MS_NODEV), "exec": UInt(MS_NOEXEC),
        "async": UInt(MS_SYNCHRONOUS), "nomand": UInt(MS_MANDLOCK), "atime": UInt(MS_NOATIME),
        "diratime": UInt(MS_NODIRATIME), "norelatime": UInt(MS_RELATIME), "nostrictatime": UInt(MS_STRICTATIME),
    ]
    static let propagations: [String: UInt] = [
        "private": UInt(MS_PRIVATE), "rprivate": UInt(MS_PRIVATE | MS_REC), "shared": UInt(MS_SHARED),
        "rshared": UInt(MS_SHARED | MS_REC), "slave": UInt(MS_SLAVE), "rslave": UInt(MS_SLAVE | MS_REC),
        "unbindable": UInt(MS_UNBINDABLE), "runbindable": UInt(MS_UNBINDABLE | MS_REC),
    ]
}
