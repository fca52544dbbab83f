@testable import BerthImages
import BerthAPI
import BerthCore
import BerthSync
import Foundation
import Testing

/// Collects the events the service publishes.
final class EventLog: Sendable {
    private let events = Locked<[(action: String, id: String, name: String?)]>([])
    var publisher: ImageService.EventPublisher {
        { [events] action, id, attributes in events.withLock { $0.append((action, id, attributes["name"])) } }
    }
    var actions: [String] { events.withLock { $0.map(\.action) } }
}

/// A body source over bytes, in pieces.
func body(_ bytes: [UInt8], piece: Int = 10_000) -> ByteSource {
    let offset = LockedOffset()
    return {
        let start = offset.advance(by: piece, limit: bytes.count)
        guard start < bytes.count else { return nil }
        return Array(bytes[start..<min(start + piece, bytes.count)])
    }
}

@Suite(.enabled(if: runningAsRoot, "layers hold owners and devices"))
struct ImageServiceTests {
    private func service(_ scratch: Scratch, _ log: EventLog = EventLog(), driver: StorageDriver = .overlay2) async throws -> ImageService {
        try await ImageService.open(dataRoot: scratch.path, driver: driver, version: "test", architecture: "amd64",
                                    publish: log.publisher)
    }

    @Test func importTagInspectHistoryAndDelete() async throws {
        let scratch = Scratch()
        let log = EventLog()
        let images = try await service(scratch, log)
        let id = try await images.importImage(from: body(Compression.gzip.compress(sampleTar())), repository: "bb", tag: "1",
                                              message: "", changes: ["CMD [\"sh\"]", "ENV FOO=bar", "WORKDIR /srv", "EXPOSE 80",
                                                                     "LABEL tier=web owner=\"a b\""])
        #expect(log.actions == ["tag", "import"])
        let inspect = try await images.inspect("bb:1")
        #expect(inspect.Id == id)
        #expect(inspect.RepoTags == ["bb:1"])
        #expect(inspect.Comment == "Imported from -")
        #expect(inspect.Config?.Cmd == ["sh"])
        #expect(inspect.Config?.Env == ["FOO=bar"])
        #expect(inspect.Config?.WorkingDir == "/srv")
        #expect(inspect.Config?.ExposedPorts?.keys.sorted() == ["80/tcp"])
        #expect(inspect.Config?.Labels == ["tier": "web", "owner": "a b"])
        #expect(inspect.RootFS.Layers == [SHA256.digest(sampleTar()).description])
        #expect(inspect.Architecture == "amd64" && inspect.Os == "linux")
        #expect(inspect.GraphDriver.Name == "overlay2")
        #expect(try await images.inspect(String(id.dropFirst(7).prefix(12))).Id == id, "a short ID finds it")
        // "bb" is bb:latest, which does not exist; an image whose ID begins with "bb" (1 in 256:
        // the ID covers the creation time) is found by that short ID instead, as dockerd does.
        if !id.dropFirst(7).hasPrefix("bb") {
            await #expect(throws: APIError.notFound("No such image: bb:latest")) { _ = try await images.history("bb") }
        }
        let entries = try await images.history("bb:1")
        #expect(entries.count == 1 && entries[0].Id == id && entries[0].Tags == ["bb:1"])
        #expect(entries[0].Size == inspect.Size)

        try await images.tag(id, repository: "docker.io/ns/app", tag: "v2")
        #expect(try await images.inspect(id).RepoTags.sorted() == ["bb:1", "ns/app:v2"])
        await #expect(throws: APIError.self) { _ = try await images.delete(id, force: false, prune: true) }
        #expect(try await images.delete("ns/app:v2", force: false, prune: true) == [.untagged("ns/app:v2")])
        let removed = try await images.delete("bb:1", force: false, prune: true)
        #expect(removed == [.untagged("bb:1"), .deleted(id), .deleted(SHA256.digest(sampleTar()).description)])
        #expect(try await images.images(all: false, filters: Filters()).isEmpty)
        await #expect(throws: APIError.notFound("no such image: bb:1: No such image: bb:1")) { _ = try await images.inspect("bb:1").Id }
    }

    @Test func badChangesAndBadTarsAreRefusedAndLeaveNothing() async throws {
        let scratch = Scratch()
        let images = try await service(scratch)
        await #expect(throws: APIError.invalidParameter("bogus is not a valid change command")) {
            _ = try await images.importImage(from: body(sampleTar()), repository: nil, tag: nil, message: "", changes: ["BOGUS x"])
        }
        let refused = try await #require(throws: (any Error).self) {
            _ = try await images.importImage(from: body(Array("not a tar".utf8)), repository: nil, tag: nil, message: "", changes: [])
        }
        #expect(ErrorKind.classify(refused).kind == .invalidParameter)
        #expect(try await images.images(all: true, filters: Filters()).isEmpty)
    }

    @Test func listingFiltersAsDockerDoes() async throws {
        let scratch = Scratch()
        let images = try await service(scratch)
        let tagged = try await images.importImage(from: body(sampleTar("a")), repository: "bb", tag: "1", message: "",
                                                  changes: ["LABEL tier=web"])
        let dangling = try await images.importImage(from: body(sampleTar("b")), repository: nil, tag: nil, message: "", changes: [])
        let all = try await images.images(all: false, filters: Filters())
        #expect(Set(all.map(\.Id)) == [tagged, dangling])
        #expect(all.first { $0.Id == dangling }?.RepoTags == ["<none>:<none>"])
        let onlyDangling = try await images.images(all: false, filters: Filters(["dangling": ["true"]]))
        #expect(onlyDangling.map(\.Id) == [dangling])
        #expect(try await images.images(all: false, filters: Filters(["reference": ["b*"]])).map(\.Id) == [tagged])
        #expect(try await images.images(all: false, filters: Filters(["label": ["tier=web"]])).map(\.Id) == [tagged])
        // `tagged` was imported first.
        #expect(try await images.images(all: false, filters: Filters(["before": ["bb:1"]])).isEmpty)
        #expect(try await images.images(all: false, filters: Filters(["since": ["bb:1"]])).map(\.Id) == [dangling])
        #expect(try await images.images(all: false, filters: Filters(["before": [dangling]])).map(\.Id) == [tagged])
        await #expect(throws: APIError.self, "an unknown image in a filter is an error") {
            try await images.images(all: false, filters: Filters(["since": ["nosuch"]]))
        }

        // Pruning: `until` keeps what is younger, and the default takes only dangling images.
        let young = try await images.prune(filters: Filters(["until": ["1h"]]))
        #expect(young.ImagesDeleted == nil && young.SpaceReclaimed == 0)
        let report = try await images.prune(filters: Filters())
        #expect(report.ImagesDeleted?.contains(.deleted(dangling)) == true)
        #expect(report.SpaceReclaimed > 0)
        #expect(try await images.images(all: false, filters: Filters()).map(\.Id) == [tagged])
        // `dangling=false` takes tagged images too, here only those with the label asked for.
        let other = try await images.importImage(from: body(sampleTar("c")), repository: "cc", tag: nil, message: "", changes: [])
        let labelled = try await images.prune(filters: Filters(["dangling": ["false"], "label": ["tier=web"]]))
        #expect(labelled.ImagesDeleted?.first == .untagged("bb:1"))
        #expect(labelled.ImagesDeleted?.contains(.deleted(tagged)) == true)
        #expect(try await images.images(all: false, filters: Filters()).map(\.Id) == [other])
    }

    /// Saves through the service and returns the archive's bytes.
    private func save(_ images: ImageService, _ names: [String]) async throws -> [UInt8] {
        let collected = Locked<[UInt8]>([])
        let write = try await images.save(names)
        try await write { piece in collected.withLock { $0 += piece } }
        return collected.withLock { $0 }
    }

    @Test(arguments: StorageDriver.allCases)
    func saveThenLoadGivesTheSameImageAndSavingTwiceTheSameBytes(_ driver: StorageDriver) async throws {
        let scratch = Scratch()
        let images = try await service(scratch, driver: driver)
        let base = try await images.importImage(from: body(sampleTar("base")), repository: "bb", tag: "1", message: "m", changes: [])
        let archive = try await save(images, ["bb:1"])
        #expect(try await save(images, ["bb:1"]) == archive, "the same image saves to the same bytes")
        await #expect(throws: APIError.notFound("reference does not exist"), "dockerd 20.10's words") { _ = try await images.save(["nosuch"]) }

        let other = Scratch()
        let log = EventLog()
        let second = try await service(other, log, driver: driver)
        let lines = Locked<[String]>([])
        try await second.load(from: body(archive), quiet: false) { message in
            lines.withLock { $0.append(message.stream ?? message.status ?? "") }
        }
        #expect(lines.withLock { $0 }.last == "Loaded image: bb:1\n")
        #expect(lines.withLock { $0 }.contains("Loading layer"))
        #expect(log.actions == ["load"])
        let loaded = try await second.inspect("bb:1")
        #expect(loaded.Id == base, "the same ID: the configuration's bytes came through")
        #expect(try await save(second, ["bb:1"]) == archive, "and the same archive out again")
    }

    @Test func aStoreOpensCleanlyAfterACrashMidLoad() async throws {
        let scratch = Scratch()
        do {
            let images = try await service(scratch)
            _ = try await images.importImage(from: body(sampleTar()), repository: "bb", tag: "1", message: "", changes: [])
        }
        // What a crash in the middle of a load leaves: a staged archive, a half-written layer,
        // and a configuration whose layers never arrived.
        let layout = StorageLayout(dataRoot: scratch.path, driver: .overlay2)
        try FileManager.default.createDirectory(atPath: layout.stagingRoot + "/load-half", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: layout.driverRoot + "/tmp-half/diff", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: layout.layerDB + "/tmp-half", withIntermediateDirectories: true)
        var orphan = ImageConfig(rootfs: .init(diff_ids: [Digest(hex: String(repeating: "c", count: 64))!]))  // a valid hex string
        orphan.os = "linux"
        let bytes = try orphan.encoded()
        try Data(bytes).write(to: URL(fileURLWithPath: layout.imageContent + "/" + SHA256.digest(bytes).hex))
        let reopened = try await service(scratch)
        let listed = try await reopened.images(all: true, filters: Filters())
        #expect(listed.map(\.RepoTags) == [["bb:1"]], "the complete image, and no half one")
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.stagingRoot).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: layout.driverRoot + "/tmp-half"))
        #expect(!FileManager.default.fileExists(atPath: layout.layerDB + "/tmp-half"))
    }
}
