import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where tests put their files: one directory per test process under the system's temporary
/// directory, `berth-tests-<pid>`, removed (with whatever is mounted under it) when the process
/// exits. The directories of test processes that were killed are removed by the next one. So a
/// test run leaves nothing behind, also when a test fails or forgets to clean up.
public enum TestDirectory {
    private static let prefix = "berth-tests-"

    /// This process's directory, created on first use.
    public static let root: String = {
        removeLeftovers()
        let path = NSTemporaryDirectory() + prefix + String(getpid())
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { TestDirectory.remove(TestDirectory.root) }
        return path
    }()

    /// A path under `root` that does not exist yet: `<root>/<name>-<8 hex digits><suffix>`.
    public static func path(_ name: String, suffix: String = "") -> String {
        "\(root)/\(name)-\(String(UInt32.random(in: .min ... .max), radix: 16))\(suffix)"
    }

    /// A new directory under `root`, as `path(_:)` names it.
    public static func make(_ name: String) throws -> String {
        let directory = path(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Removes the directories of test processes that no longer run.
    private static func removeLeftovers() {
        let temporary = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            remove(temporary + name)
        }
    }

    /// Unmounts what is mounted below `path`, deepest first, then removes it.
    private static func remove(_ path: String) {
        if let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) {
            for line in mounts.split(separator: "\n").reversed() {
                let point = line.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                if point.hasPrefix(path + "/") { umount2(point, Int32(MNT_DETACH)) }
            }
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}
