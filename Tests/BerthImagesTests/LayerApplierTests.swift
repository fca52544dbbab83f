@testable import BerthImages
import CBerthSys
import Foundation
import Testing

/// A temporary directory for one test, removed at the end.
final class Scratch {
    let path: String
    init() {
        var template = Array("/tmp/berth-images-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }  // the buffer is never empty
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func directory(_ name: String) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}

let runningAsRoot = geteuid() == 0

/// Applies a tar to a directory the way a layer is applied.
@discardableResult
func apply(_ tar: [UInt8], to directory: String, whiteouts: LayerApplier.Whiteouts = .overlay) throws -> Int {
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw POSIXError(.ENOENT) }
    defer { close(fd) }
    var sent = false
    let reader = try ArchiveReader(.plainTar) {
        defer { sent = true }
        return sent ? nil : tar
    }
    let applier = LayerApplier(root: fd, whiteouts: whiteouts)
    try applier.apply(reader)
    return applier.size
}

func fileType(_ path: String) -> UInt32? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return UInt32(info.st_mode) & FileType.mask
}

@Suite(.enabled(if: runningAsRoot, "owners, devices and trusted xattrs need root"))
struct LayerApplierTests {
    @Test func appliesEveryKindOfEntryWithItsMetadata() throws {
        let scratch = Scratch()
        let layer = try scratch.directory("layer")
        var tar = TarBuilder()
        tar.addSystemFiles()
        tar.add("dev/null", .characterDevice, mode: 0o666, major: 1, minor: 3)
        tar.add("run/fifo", .fifo, mode: 0o600)
        tar.add("bin/ping", mode: 0o755, data: [1], pax: [("SCHILY.xattr.user.note", "hello")])
        let size = try apply(tar.archive, to: layer)
        #expect(size == 20 + 4 + 1 + "/bin/busybox".utf8.count, "files, and a symlink counts its target's length")
        #expect(try String(contentsOfFile: layer + "/etc/hosts", encoding: .utf8) == "127.0.0.1 localhost\n")
        var info = stat()
        #expect(lstat(layer + "/etc/hosts", &info) == 0)
        #expect(info.st_uid == 1000 && info.st_gid == 100)
        #expect(info.st_mtim.tv_sec == 1_650_000_000)
        #expect(lstat(layer + "/etc", &info) == 0 && info.st_mtim.tv_sec == 1_600_000_000, "directory times are set last")
        #expect(lstat(layer + "/bin/busybox", &info) == 0 && info.st_mode & 0o7777 == 0o4755, "setuid kept after chown")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: layer + "/bin/sh") == "/bin/busybox",
                "an absolute symlink is kept as it is: it points inside the container")
        var linked = stat()
        #expect(lstat(layer + "/bin/ls", &linked) == 0 && linked.st_ino == info.st_ino, "a hard link")
        #expect(lstat(layer + "/dev/null", &info) == 0 && berth_major(UInt(info.st_rdev)) == 1 && berth_minor(UInt(info.st_rdev)) == 3)
        #expect(fileType(layer + "/run/fifo") == FileType.fifo)
        var value = [UInt8](repeating: 0, count: 16)
        let fd = open(layer + "/bin/ping", O_RDONLY)
        defer { close(fd) }
        let n = berth_fgetxattr(fd, "user.note", &value, value.count)
        #expect(n == 5 && Array(value[..<5]) == Array("hello".utf8), "xattrs from pax records")
    }

    @Test func longNamesAndFileCapabilitiesSurvive() throws {
        let scratch = Scratch()
        let layer = try scratch.directory("layer")
        let deep = (1...12).map { "directory-\($0)" }.joined(separator: "/")  // 143 bytes: past ustar's 100
        var tar = TarBuilder()
        tar.add(deep + "/gnu", data: Array("gnu".utf8), gnuLongName: true)
        tar.add(deep + "/pax", data: Array("pax".utf8), pax: [("path", deep + "/pax")])
        // vfs_cap_data revision 2 with CAP_NET_RAW effective and permitted, as `setcap cap_net_raw+ep` writes it.
        let capability: [UInt8] = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00] + [UInt8](repeating: 0, count: 12)
        tar.add("bin/ping", mode: 0o755, data: [1], paxBytes: [("SCHILY.xattr.security.capability", capability)])
        try apply(tar.archive, to: layer)
        #expect(try String(contentsOfFile: layer + "/" + deep + "/gnu", encoding: .utf8) == "gnu", "a GNU long name")
        #expect(try String(contentsOfFile: layer + "/" + deep + "/pax", encoding: .utf8) == "pax", "a pax path")
        var value = [UInt8](repeating: 0, count: 64)
        let fd = open(layer + "/bin/ping", O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let n = berth_fgetxattr(fd, "security.capability", &value, value.count)
        #expect(n == capability.count && Array(value[..<capability.count]) == capability, "security.capability kept byte for byte")
    }

    @Test func hostileNamesAreRefusedOrConfined() throws {
        let scratch = Scratch()
        let outside = try scratch.directory("outside")
        for (name, tar) in [
            ("dot-dot", { var t = TarBuilder(); t.add("../evil", data: [1]); return t.archive }()),
            ("inner dot-dot", { var t = TarBuilder(); t.add("a/../../evil", data: [1]); return t.archive }()),
            ("hard link out", { var t = TarBuilder(); t.add("x", .hardlink, link: "../outside/target"); return t.archive }()),
        ] {
            let layer = try scratch.directory("layer-\(name)")
            #expect(throws: ArchiveError.self, "\(name)") { try apply(tar, to: layer) }
        }
        do {
            let layer = try scratch.directory("layer-message")
            var t = TarBuilder()
            t.add("ok", data: [1])
            t.add("../../evil", data: [1])
            let error = try #require(throws: ArchiveError.self) { try apply(t.archive, to: layer) }
            #expect(error.kind == .invalidParameter)
            #expect(error.message == #"archive entry "../../evil": "../../evil" leads outside the layer"#)
        }
        // Absolute names, and symlinks leading out, are read inside the layer.
        let layer = try scratch.directory("layer")
        var t = TarBuilder()
        t.add("/abs/file", data: Array("abs".utf8))
        t.add("outside/", .directory)
        t.add("up", .symlink, link: "../../../outside")
        t.add("up/escaped", data: Array("in".utf8))
        t.add("root", .symlink, link: "/")
        t.add("root/via-root", data: Array("in".utf8))
        try apply(t.archive, to: layer)
        #expect(FileManager.default.fileExists(atPath: layer + "/abs/file"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "nothing was written outside")
        #expect(FileManager.default.fileExists(atPath: layer + "/outside/escaped"), "`up` resolved inside the layer")
        #expect(FileManager.default.fileExists(atPath: layer + "/via-root"), "`/` is the layer's root")
        // A symlink that leads nowhere cannot be a parent.
        var dangling = TarBuilder()
        dangling.add("nowhere", .symlink, link: "/no/such/dir")
        dangling.add("nowhere/file", data: [1])
        let refused = try #require(throws: ArchiveError.self) { try apply(dangling.archive, to: try scratch.directory("layer-d")) }
        #expect(refused.kind == .invalidParameter)
        // A hard link to a path that is not in this layer.
        var h = TarBuilder()
        h.add("passwd", .hardlink, link: "/etc/passwd")
        let error = try #require(throws: ArchiveError.self) { try apply(h.archive, to: try scratch.directory("layer-h")) }
        #expect(error.message.contains("is not in the layer"))
    }

    @Test func whiteoutsBecomeOverlayMarkers() throws {
        let scratch = Scratch()
        let layer = try scratch.directory("layer")
        var t = TarBuilder()
        t.add(".wh.gone", data: [])
        t.add("dir/", .directory, mode: 0o755)
        t.add("dir/.wh..wh..opq", data: [])
        t.add("dir/new", data: [1])
        try apply(t.archive, to: layer)
        var info = stat()
        #expect(lstat(layer + "/gone", &info) == 0)
        #expect(UInt32(info.st_mode) & FileType.mask == FileType.characterDevice && info.st_rdev == 0)
        #expect(!FileManager.default.fileExists(atPath: layer + "/.wh.gone"))
        var value = [UInt8](repeating: 0, count: 4)
        let fd = open(layer + "/dir", O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        #expect(berth_fgetxattr(fd, "trusted.overlay.opaque", &value, 4) == 1 && value[0] == UInt8(ascii: "y"))
    }

    @Test func whiteoutsDeleteWhatTheyNameInVfsMode() throws {
        let scratch = Scratch()
        let layer = try scratch.directory("layer")
        for file in ["gone", "dir/old", "keep"] {
            try FileManager.default.createDirectory(atPath: layer + "/dir", withIntermediateDirectories: true)
            try Data([1]).write(to: URL(fileURLWithPath: layer + "/" + file))
        }
        var t = TarBuilder()
        t.add(".wh.gone", data: [])
        t.add("dir/new", data: [1])
        t.add("dir/.wh..wh..opq", data: [])
        try apply(t.archive, to: layer, whiteouts: .delete)
        #expect(!FileManager.default.fileExists(atPath: layer + "/gone"))
        #expect(!FileManager.default.fileExists(atPath: layer + "/dir/old"), "an opaque directory hides what was below")
        #expect(FileManager.default.fileExists(atPath: layer + "/dir/new"), "but keeps what this layer put there")
        #expect(FileManager.default.fileExists(atPath: layer + "/keep"))
    }

    @Test func overlayfsHonoursTheMarkers() throws {
        // The real test of the markers: mount lower and upper with overlayfs and look.
        let scratch = Scratch()
        let lower = try scratch.directory("lower"), upper = try scratch.directory("upper")
        let work = try scratch.directory("work"), merged = try scratch.directory("merged")
        var base = TarBuilder()
        base.add("gone", data: [1])
        base.add("dir/old", data: [1])
        try apply(base.archive, to: lower)
        var top = TarBuilder()
        top.add(".wh.gone", data: [])
        top.add("dir/.wh..wh..opq", data: [])
        top.add("dir/new", data: [1])
        try apply(top.archive, to: upper)
        let options = "lowerdir=\(lower),upperdir=\(upper),workdir=\(work)"
        guard mount("overlay", merged, "overlay", 0, options) == 0 else {
            Issue.record("overlayfs unavailable: \(String(cString: strerror(errno)))")
            return
        }
        defer { umount2(merged, Int32(MNT_DETACH)) }
        #expect(!FileManager.default.fileExists(atPath: merged + "/gone"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: merged + "/dir") == ["new"])
    }
}
