import BerthAPI
import BerthCore
import BerthTransport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension ImageService {
    /// `docker load`: the archive is staged on disk (it names its manifest last), then each
    /// image's layers are stored (each checked against the configuration's `diff_ids`; layers the
    /// store has already are not read), then its configuration, then its tags.
    public func load(from body: @escaping ByteSource, quiet: Bool, progress: @escaping MessageSink) async throws {
        let staging = try await stagingDirectory("load")
        do {
            try await load(staging, from: body, quiet: quiet, progress: progress)
        } catch {
            try? await BlockingPool.shared.run { try removeTree(staging) }
            throw error
        }
        try? await BlockingPool.shared.run { try removeTree(staging) }
    }

    private func load(_ staging: String, from body: @escaping ByteSource, quiet: Bool, progress: @escaping MessageSink) async throws {
        try await stage(body, into: staging)
        let root = try Self.openDirectory(staging)
        defer { close(root.fd) }
        let manifest = try await BlockingPool.shared.run { try ArchiveManifest.read(root.fd) }
        guard !manifest.images.isEmpty else { throw APIError.invalidParameter("the archive holds no image") }
        for entry in manifest.images {
            let configBytes = try await BlockingPool.shared.run { try ArchiveManifest.readFile(entry.config, in: root.fd) }
            let config = try ImageConfig.decode(configBytes)
            guard config.rootfs.diff_ids.count == entry.layers.count else {
                throw APIError.invalidParameter("invalid manifest: \(entry.layers.count) layers for \(config.rootfs.diff_ids.count) diff IDs")
            }
            var parent: Layer?
            for (path, diffID) in zip(entry.layers, config.rootfs.diff_ids) {
                parent = try await loadLayer(path, in: root, parent: parent, diffID: diffID, quiet: quiet, progress: progress)
            }
            let record = try await images.add(configBytes)
            var loaded: [String] = []
            for name in entry.tags {
                let reference = try Reference(parsing: name)
                try await images.tag(reference, record.id)
                loaded.append(reference.description)
            }
            for name in loaded { try await progress(JSONMessage(stream: "Loaded image: \(name)\n")) }
            if loaded.isEmpty { try await progress(JSONMessage(stream: "Loaded image ID: \(record.id)\n")) }
            await publish("load", record.id.description, ["name": record.id.description])
        }
    }

    /// Stores one layer of a staged archive, reporting its progress as `Loading layer` messages.
    private func loadLayer(_ path: String, in root: StagedDirectory, parent: Layer?, diffID: Digest, quiet: Bool,
                           progress: @escaping MessageSink) async throws -> Layer {
        if let known = await layers.layer(Layer.chainID(parent: parent?.chainID, diffID: diffID)) { return known }
        let fd = try ArchiveManifest.open(path, in: root.fd)
        let file = StagedFile(fd: fd)
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        let total = Int(info.st_size)
        let id = String(diffID.hex.prefix(12))
        @Sendable func report() async throws {
            guard !quiet else { return }
            try await progress(JSONMessage(status: "Loading layer", progressDetail: .init(current: file.read.load(ordering: .relaxed), total: total),
                                           id: id))
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try await report()
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            defer { group.cancelAll() }
            let layer = try await layers.create(parent: parent, expected: diffID) { try file.next() }
            group.cancelAll()
            try await report()
            return layer
        }
    }

    /// Extracts a client's archive under `directory`, everything confined to it, reading the body
    /// through a pipe to the stream pool.
    func stage(_ body: @escaping ByteSource, into directory: String) async throws {
        try await PipedStream.consuming(body) { pipe in
            try await BlockingPool.streams.run {
                let root = try Self.openDirectory(directory)
                defer { close(root.fd) }
                let reader = try ArchiveReader(.tar) { try pipe.readBlocking() }
                try LayerApplier(root: root.fd, whiteouts: .delete).apply(reader)
                while try pipe.readBlocking() != nil {}  // what follows the archive's end
            }
        }
    }

    /// A new directory for staging an archive, under the data root's `tmp` (emptied when the
    /// store opens).
    func stagingDirectory(_ purpose: String) async throws -> String {
        let path = "\(layers.layout.stagingRoot)/\(purpose)-\(randomHex(16))"
        let layout = layers.layout
        try await BlockingPool.shared.run { try layout.makeDirectories(path) }
        return path
    }

    struct StagedDirectory: Sendable {
        let fd: Int32
    }

    static func openDirectory(_ path: String) throws -> StagedDirectory {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError("open", path) }
        return StagedDirectory(fd: fd)
    }
}

/// A staged file read in pieces by the stream pool, counting what it has read for progress.
final class StagedFile: Sendable {
    let fd: Int32
    let read = Atomic<Int>(0)

    init(fd: Int32) { self.fd = fd }

    func next() throws -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw FileError("read", "staged layer") }
            if n == 0 { return nil }
            read.add(n, ordering: .relaxed)
            chunk.removeLast(chunk.count - n)
            return chunk
        }
    }
}
