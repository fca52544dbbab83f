import Foundation

/// The test image: a busybox root file system built at test time from Debian's busybox-static
/// (`/bin/busybox`), as a tar.
enum TestImage {
    static let busybox = "/bin/busybox"

    static let applets = ["sh", "ls", "cat", "echo", "true", "false", "sleep", "unshare", "ps", "id", "hostname", "head", "tail",
                          "base64", "wc", "touch", "pwd", "env", "seq", "printf", "kill", "mount", "tr", "stty", "tty", "grep",
                          "dd", "yes", "readlink", "test", "rm", "mkdir"]

    static var available: Bool { FileManager.default.isExecutableFile(atPath: busybox) && ProcessRunner.find("tar") != nil }

    /// Writes the root file system's tar under `directory` and returns its path: `/bin/busybox`,
    /// its applets (`sh`, `ls`, `cat`, `ps`, …) as symlinks, `/etc/passwd` (root and nobody) and
    /// `/etc/group`.
    static func rootfsTar(in directory: String, marker: String = "berth") async throws -> String {
        let root = directory + "/rootfs-\(marker)"
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        _ = try? FileManager.default.removeItem(atPath: root + "/bin/busybox")
        try FileManager.default.copyItem(atPath: busybox, toPath: root + "/bin/busybox")
        for applet in applets where !FileManager.default.fileExists(atPath: root + "/bin/" + applet) {
            try FileManager.default.createSymbolicLink(atPath: root + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"
            .write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\n".write(toFile: root + "/etc/group", atomically: true, encoding: .utf8)
        try marker.write(toFile: root + "/etc/marker", atomically: true, encoding: .utf8)
        let tar = directory + "/rootfs-\(marker).tar"
        let run = try await ProcessRunner.run(try tarPath(), ["--numeric-owner", "-C", root, "-cf", tar, "."])
        guard run.status == 0 else { throw TestImageError(run.stderr) }
        return tar
    }

    private static func tarPath() throws -> String {
        guard let tar = ProcessRunner.find("tar") else { throw TestImageError("tar is not installed") }
        return tar
    }

    struct TestImageError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
