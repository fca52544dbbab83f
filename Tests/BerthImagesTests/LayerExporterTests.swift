@testable import BerthImages
import CBerthSys
import Foundation
import Testing

/// An archive's entries, each with its data.
func entries(of tar: [UInt8]) throws -> [(entry: ArchiveEntry, data: [UInt8])] {
    var sent = false
    let reader = try ArchiveReader(.plainTar) {
        defer { sent = true }
        return sent ? nil : tar
    }
    var result: [(entry: ArchiveEntry, data: [UInt8])] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while let entry = try reader.next() {
        var data: [UInt8] = []
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { break }
            data += buffer[..<n]
        }
        result.append((entry, data))
    }
    return result
}

/// Exports the directory at `path` as a layer tar.
func export(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw POSIXError(.ENOENT) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    let writer = try ArchiveWriter { bytes += $0 }
    try LayerExporter(root: fd).export(into: writer)
    try writer.finish()
    return bytes
}

private let overlayUsable = runningAsRoot && StorageDriver.preferred(under: NSTemporaryDirectory()) == .overlay2

@Suite(.enabled(if: runningAsRoot, "owners, devices and trusted xattrs need root"))
struct LayerExporterTests {
    @Test func exportingAnAppliedLayerGivesItsEntriesBack() throws {
        let scratch = Scratch()
        let layer = try scratch.directory("layer")
        let capability: [UInt8] = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00] + [UInt8](repeating: 0, count: 12)
        var tar = TarBuilder()
        tar.addSystemFiles()
        tar.add("bin/ping", mode: 0o755, data: [1],
                paxBytes: [("SCHILY.xattr.security.capability", capability), ("SCHILY.xattr.user.note", Array("hi".utf8))])
        tar.add("dev/null", .characterDevice, mode: 0o666, major: 1, minor: 3)
        tar.add("run/fifo", .fifo, mode: 0o600)
        tar.add(".wh.gone", data: [])
        tar.add("dir/", .directory, mode: 0o750)
        tar.add("dir/.wh..wh..opq", data: [])
        tar.add("dir/new", data: Array("new".utf8))
        try apply(tar.archive, to: layer)

        let exported = try export(layer)
        let found = try entries(of: exported)
        #expect(found.map(\.entry.displayPath) == [
            "bin/", "bin/busybox", "bin/ls", "bin/ping", "bin/sh", "dev/", "dev/null",
            "dir/", "dir/.wh..wh..opq", "dir/new", "etc/", "etc/hosts", ".wh.gone", "run/", "run/fifo",
        ], "parents first, in the byte order of the names on disk; overlay markers back as .wh. entries")
        func entry(_ name: String) throws -> (entry: ArchiveEntry, data: [UInt8]) {
            try #require(found.first { $0.entry.displayPath == name }, "\(name)")
        }
        let hosts = try entry("etc/hosts")
        #expect(hosts.data == Array("127.0.0.1 localhost\n".utf8))
        #expect(hosts.entry.uid == 1000 && hosts.entry.gid == 100 && hosts.entry.modified.tv_sec == 1_650_000_000)
        #expect(try entry("etc/").entry.modified.tv_sec == 1_600_000_000)
        #expect(try entry("bin/busybox").entry.permissions == 0o4755)
        #expect(try entry("bin/ls").entry.kind == .hardlink && entry("bin/ls").entry.linkTarget == Array("bin/busybox".utf8))
        #expect(try entry("bin/sh").entry.kind == .symlink && entry("bin/sh").entry.linkTarget == Array("/bin/busybox".utf8))
        let ping = try entry("bin/ping").entry
        #expect(ping.xattrs.map(\.name) == ["security.capability", "user.note"])
        #expect(ping.xattrs.first?.value == capability, "security.capability byte for byte")
        let null = try entry("dev/null").entry
        #expect(null.kind == .characterDevice && null.deviceMajor == 1 && null.deviceMinor == 3)
        #expect(try entry("run/fifo").entry.kind == .fifo)
        let gone = try entry(".wh.gone").entry
        #expect(gone.kind == .file && gone.size == 0 && gone.permissions == 0o600)
        let dir = try entry("dir/").entry
        #expect(dir.permissions == 0o750)
        #expect(dir.xattrs.isEmpty, "the overlay's opaque xattr is not exported: the .wh..wh..opq entry says it")
        #expect(try entry("dir/.wh..wh..opq").entry.kind == .file)

        // The same directory gives the same bytes, and so does the layer applied again from them.
        #expect(try export(layer) == exported)
        let again = try scratch.directory("again")
        try apply(exported, to: again)
        #expect(try export(again) == exported)
    }

    @Test func socketsAreLeftOutAndSymlinksAreNotFollowed() throws {
        let scratch = Scratch()
        let layer = try scratch.directory("layer")
        let outside = try scratch.directory("outside")
        try Data("secret".utf8).write(to: URL(fileURLWithPath: outside + "/secret"))
        try FileManager.default.createSymbolicLink(atPath: layer + "/escape", withDestinationPath: outside)
        let socket = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_un()
        var length = socklen_t(0)
        #expect(berth_sockaddr_un(&address, layer + "/control.sock", &length) == 0)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        #expect(bound == 0)
        let found = try entries(of: try export(layer))
        #expect(found.map(\.entry.displayPath) == ["escape"])
        #expect(found.first?.entry.kind == .symlink)
    }

    @Test(.enabled(if: overlayUsable, "needs overlayfs on the temporary directory's file system"))
    func changesMadeThroughOverlayExportAsALayerThatReplaysThem() async throws {
        let scratch = Scratch()
        let layout = StorageLayout(dataRoot: scratch.path, driver: .overlay2)
        let store = try await LayerStore.open(layout)
        var tar = TarBuilder()
        tar.add("etc/", .directory, mode: 0o755)
        tar.add("etc/a", data: Array("a".utf8))
        tar.add("etc/b", data: Array("b".utf8))
        tar.add("dir/", .directory, mode: 0o755)
        tar.add("dir/x", data: Array("x".utf8))
        tar.add("dir/y", data: Array("y".utf8))
        let base = try await store.create(parent: nil, from: source(tar.archive))

        // Mounts go also when an expectation throws.
        do {
            // A container's changes: a file removed, a directory replaced, a file added.
            try await store.createWritableLayer(id: "c1", parent: base.chainID)
            let root = try await store.mount("c1")
            try FileManager.default.removeItem(atPath: root + "/etc/a")
            try FileManager.default.removeItem(atPath: root + "/dir")
            try FileManager.default.createDirectory(atPath: root + "/dir", withIntermediateDirectories: false)
            try Data("new".utf8).write(to: URL(fileURLWithPath: root + "/dir/new"))
            try Data("c".utf8).write(to: URL(fileURLWithPath: root + "/etc/c"))
            try await store.unmount("c1")
            let mountID = try String(contentsOfFile: layout.mounts + "/c1/mount-id", encoding: .utf8)
            let changes = try export("\(layout.driverRoot)/\(mountID)/diff")
            #expect(try entries(of: changes).map(\.entry.displayPath) == ["dir/", "dir/.wh..wh..opq", "dir/new", "etc/", "etc/.wh.a", "etc/c"])

            // Those changes, stored as a layer on the base, give the container's view back.
            let top = try await store.create(parent: base, from: source(changes))
            try await store.createWritableLayer(id: "c2", parent: top.chainID)
            let replayed = try await store.mount("c2")
            #expect(!FileManager.default.fileExists(atPath: replayed + "/etc/a"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: replayed + "/etc").sorted() == ["b", "c"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: replayed + "/dir") == ["new"])
        } catch {
            try? await store.removeWritableLayer("c2")
            try? await store.removeWritableLayer("c1")
            throw error
        }
        try await store.removeWritableLayer("c2")
        try await store.removeWritableLayer("c1")
    }
}
