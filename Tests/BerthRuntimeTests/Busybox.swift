import BerthTesting
import Foundation

/// A busybox root file system for a container, built at test time from Debian's
/// busybox-static: `/bin/busybox` with its applets as symlinks, `/etc/passwd` and `/etc/group`.
enum Busybox {
    static let binary = "/bin/busybox"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    static let applets = ["sh", "ls", "cat", "echo", "true", "false", "hostname", "id", "sleep", "mount", "unshare",
                          "grep", "wc", "ps", "kill", "touch", "mkdir", "readlink", "pwd", "head", "env", "tr", "seq", "tty", "stty"]

    /// A new root file system under the test process's directory.
    static func rootfs() throws -> String {
        let root = try TestDirectory.make("rootfs")
        let manager = FileManager.default
        for directory in ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "mnt"] {
            try manager.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        try manager.copyItem(atPath: binary, toPath: root + "/bin/busybox")
        for applet in applets {
            try manager.createSymbolicLink(atPath: root + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
            .write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n".write(toFile: root + "/etc/group", atomically: true, encoding: .utf8)
        return root
    }
}
