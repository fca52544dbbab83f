@testable import BerthImages
import BerthCore
import Foundation
import Testing

/// A source that gives `bytes` in pieces of `piece` bytes.
func source(_ bytes: [UInt8], piece: Int = 7000) -> @Sendable () throws -> [UInt8]? {
    let offset = LockedOffset()
    return {
        let start = offset.advance(by: piece, limit: bytes.count)
        guard start < bytes.count else { return nil }
        return Array(bytes[start..<min(start + piece, bytes.count)])
    }
}

final class LockedOffset: @unchecked Sendable {  // used by one blocking thread at a time, under the lock anyway
    private var value = 0
    private let lock = NSLock()
    func advance(by n: Int, limit: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let start = value
        value = min(limit, value + n)
        return start
    }
}

func sampleTar(_ marker: String = "base") -> [UInt8] {
    var t = TarBuilder()
    t.add("etc/", .directory, mode: 0o755)
    t.add("etc/\(marker)", data: Array(marker.utf8))
    t.add("bin/tool", mode: 0o755, data: [UInt8](repeating: 0x41, count: 100_000))
    return t.archive
}

@Suite(.enabled(if: runningAsRoot, "layers hold devices and owners, and overlayfs mounts need root"))
struct LayerStoreTests {
    private func store(_ scratch: Scratch, _ driver: StorageDriver = .overlay2) async throws -> LayerStore {
        try await LayerStore.open(StorageLayout(dataRoot: scratch.path, driver: driver))
    }

    @Test(arguments: [nil] + Compression.allCases)
    func aLayerIsNamedByItsUncompressedTarWhateverItsCompression(_ compression: Compression?) async throws {
        let scratch = Scratch()
        let store = try await store(scratch)
        let tar = sampleTar()
        let input = compression?.compress(tar) ?? tar
        let layer = try await store.create(parent: nil, from: source(input))
        #expect(layer.diffID == SHA256.digest(tar))
        #expect(layer.chainID == layer.diffID)
        #expect(layer.size == 4 + 100_000)
        #expect((try? SmallFile.read(store.tarPath(of: layer)).get()) == tar, "the tar is kept byte for byte")
        #expect(FileManager.default.fileExists(atPath: "\(scratch.path)/overlay2/\(layer.cacheID)/diff/etc/base"))
        let link = try #require(SmallFile.text("\(scratch.path)/overlay2/\(layer.cacheID)/link"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(scratch.path)/overlay2/l/\(link)") == "../\(layer.cacheID)/diff")
        #expect(SmallFile.text("\(scratch.path)/image/overlay2/layerdb/sha256/\(layer.chainID.hex)/diff") == layer.diffID.description)
    }

    @Test func theSameLayerTwiceAtOnceIsStoredOnce() async throws {
        let scratch = Scratch()
        let store = try await store(scratch)
        let tar = sampleTar()
        async let first = store.create(parent: nil, from: source(tar))
        async let second = store.create(parent: nil, from: source(tar))
        let (a, b) = try await (first, second)
        #expect(a == b)
        let directories = try FileManager.default.contentsOfDirectory(atPath: "\(scratch.path)/overlay2").filter { $0 != "l" }
        #expect(directories == [a.cacheID], "one directory, no temporary left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(scratch.path)/image/overlay2/layerdb/sha256") == [a.chainID.hex])
    }

    @Test func aFailedLayerLeavesNothingBehind() async throws {
        let scratch = Scratch()
        let store = try await store(scratch)
        var hostile = TarBuilder()
        hostile.add("fine", data: [1])
        hostile.add("../escape", data: [1])
        await #expect(throws: ArchiveError.self) { try await store.create(parent: nil, from: source(hostile.archive)) }
        await #expect(throws: ArchiveError.self) {
            try await store.create(parent: nil, expected: Digest(hex: String(repeating: "a", count: 64)), from: source(sampleTar()))
        }
        await #expect(throws: ArchiveError.self) { try await store.create(parent: nil, from: source(Array("not a tar at all".utf8))) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(scratch.path)/overlay2") == ["l"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(scratch.path)/image/overlay2/layerdb/sha256").isEmpty)
        #expect(await store.allLayers.isEmpty)
    }

    @Test(arguments: StorageDriver.allCases)
    func aContainerGetsTheLayersReadOnlyAndAWritableLayerOfItsOwn(_ driver: StorageDriver) async throws {
        let scratch = Scratch()
        let store = try await store(scratch, driver)
        let base = try await store.create(parent: nil, from: source(sampleTar()))
        var top = TarBuilder()
        top.add("etc/top", data: Array("top".utf8))
        top.add("etc/.wh.base", data: [])
        let upper = try await store.create(parent: base, from: source(top.archive))
        #expect(upper.parent == base.chainID)
        #expect(upper.chainID == Layer.chainID(parent: base.chainID, diffID: upper.diffID))
        try await store.createWritableLayer(id: "c1", parent: upper.chainID)
        let root = try await store.mount("c1")
        #expect(FileManager.default.fileExists(atPath: root + "/etc/top"))
        #expect(FileManager.default.fileExists(atPath: root + "/bin/tool"))
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/base"), "the upper layer's whiteout hides it")
        try Data([1]).write(to: URL(fileURLWithPath: root + "/etc/written"))
        // A store opened again knows the layers and the writable layer.
        let reopened = try await self.store(scratch, driver)
        #expect(await reopened.layer(upper.chainID) == upper)
        try await store.unmount("c1")
        if driver == .overlay2 {
            #expect(!FileManager.default.fileExists(atPath: root + "/etc/top"), "unmounted")
        }
        try await store.removeWritableLayer("c1")
        #expect(!FileManager.default.fileExists(atPath: root))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(scratch.path)/image/\(driver.rawValue)/layerdb/mounts").isEmpty)
        try await store.remove(upper.chainID)
        try await store.remove(base.chainID)
        #expect(await store.allLayers.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(scratch.path)/image/\(driver.rawValue)/layerdb/sha256").isEmpty)
    }
}
