import BerthAPI
import BerthCore
import BerthSync
import BerthTransport
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// A container's files as an image store sees them: what changed in its writable layer
/// (`docker diff`), all of them as a tar (`docker export`), and its changes as a new image
/// (`docker commit`).
extension ImageService {
    /// Container `id`'s own directory (overlay2's `diff`) and its image's layers' below it, top
    /// first. vfs keeps no such split: diff and commit need overlay2.
    private func layerDirectories(_ id: String, for operation: String) async throws -> (upper: String, lowers: [String]) {
        guard let directory = await layers.writableDirectory(id) else { throw APIError.notFound("No such container: \(id)") }
        guard driver == .overlay2 else {
            throw APIError.notImplemented("\(operation) needs the overlay2 storage driver; berthd runs with vfs")
        }
        let lowers = (SmallFile.text(directory + "/lower")?.trimmingWhitespace ?? "")
            .split(separator: ":").map { "\(layers.layout.dataRoot)/overlay2/\($0)" }
        return (directory + "/diff", lowers)
    }

    /// `docker diff`: what container `id` added (1), changed (0) and deleted (2), by path, as
    /// dockerd lists them; `excluding` names paths the runtime made (mount points such as
    /// `/proc`, `/etc/hostname`), which are not the container's changes.
    public func containerChanges(_ id: String, excluding: Set<String>) async throws -> [ContainerChange] {
        let (upper, lowers) = try await layerDirectories(id, for: "docker diff")
        return try await BlockingPool.shared.run {
            var changes: [ContainerChange] = []
            func exists(_ path: String) -> Bool {
                var info = stat()
                return lowers.contains { lstat($0 + path, &info) == 0 }
            }
            /// The changes under `path`; whether any was reported.
            @discardableResult
            func walk(_ path: String) throws -> Bool {
                var reported = false
                for name in try listDirectory(upper + path).sorted() {
                    let child = path + "/" + name
                    if excluding.contains(child) { continue }
                    var info = stat()
                    guard lstat(upper + child, &info) == 0 else { continue }
                    let type = UInt32(info.st_mode) & UInt32(S_IFMT)
                    if type == UInt32(S_IFCHR), info.st_rdev == 0 {
                        changes.append(ContainerChange(Kind: 2, Path: child))
                        reported = true
                        continue
                    }
                    let existed = exists(child)
                    if type == UInt32(S_IFDIR) {
                        let index = changes.count
                        let inside = try walk(child)
                        // A directory is listed when it is new or something inside it changed.
                        if !existed || inside {
                            changes.insert(ContainerChange(Kind: existed ? 0 : 1, Path: child), at: index)
                            reported = true
                        }
                    } else {
                        changes.append(ContainerChange(Kind: existed ? 0 : 1, Path: child))
                        reported = true
                    }
                }
                return reported
            }
            try walk("")
            return changes
        }
    }

    /// `docker export`: every file of container `id` as a tar, read through a read-only view
    /// of its layers (so it works whether the container runs or not).
    public func exportContainer(_ id: String) async throws -> @Sendable (_ into: @escaping ByteSink) async throws -> Void {
        guard let directory = await layers.writableDirectory(id) else { throw APIError.notFound("No such container: \(id)") }
        let view = "\(layers.layout.stagingRoot)/export-\(randomHex(16))"
        let dataRoot = layers.layout.dataRoot
        let lowers: [String] = driver != .overlay2 ? [] : [directory + "/diff"]
            + (SmallFile.text(directory + "/lower")?.trimmingWhitespace ?? "").split(separator: ":").map { "\(dataRoot)/overlay2/\($0)" }
        let source = driver == .overlay2 ? view : directory
        let layout = layers.layout
        return { sink in
            try await BlockingPool.shared.run {
                guard !lowers.isEmpty else { return }
                try layout.makeDirectories(view)
                let mounted = lowers.count == 1
                    ? mount(lowers[0], view, "none", UInt(MS_BIND | MS_RDONLY), nil)
                    : mount("overlay", view, "overlay", UInt(MS_RDONLY), "lowerdir=" + lowers.joined(separator: ":"))
                guard mounted == 0 else {
                    rmdir(view)
                    throw FileError("mount a view of the container", view)
                }
            }
            defer {
                if !lowers.isEmpty {
                    umount2(view, Int32(MNT_DETACH))
                    rmdir(view)
                }
            }
            try await Self.streamTar(of: source, skipping: [], into: sink)
        }
    }

    /// Writes the tree under `path` as a tar into `sink`, from a thread of the stream pool.
    static func streamTar(of path: String, skipping: Set<[UInt8]>, into sink: @escaping ByteSink) async throws {
        try await PipedStream.producing(into: sink) { write in
            let root = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard root >= 0 else { throw FileError("open", path) }
            defer { close(root) }
            let writer = try ArchiveWriter(sink: write)
            try LayerExporter(root: root, skipping: skipping).export(into: writer)
            try writer.finish()
        }
    }

    /// `docker commit`: a new image of container `id`'s changes (its writable layer, without
    /// `excluding`) on top of its image `imageID`, whose configuration is `config` (the
    /// container's, with `changes` applied); tagged `reference` when given. Returns its ID.
    public func commitContainer(_ id: String, imageID: String, config: ContainerConfig, containerConfig: ContainerConfig,
                                changes: [String], comment: String, author: String, createdBy: String,
                                reference: (repository: String, tag: String)?, excluding: Set<String>) async throws -> String {
        var config = config
        try ConfigChanges.apply(changes, to: &config)
        let tagged = try reference.map { try Reference(name: $0.repository, tag: $0.tag.isEmpty ? "latest" : $0.tag) }
        guard let base = Digest(imageID), let record = try await images.resolve(base.description) else {
            throw APIError.notFound("No such image: \(imageID)")
        }
        let (upper, _) = try await layerDirectories(id, for: "docker commit")
        let staged = "\(layers.layout.stagingRoot)/commit-\(randomHex(16)).tar"
        let skipping = Set(excluding.map { Array($0.drop { $0 == "/" }.utf8) })
        let layout = layers.layout
        try await BlockingPool.streams.run {
            try layout.makeDirectories(layout.stagingRoot)
            let output = Glibc.open(staged, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard output >= 0 else { throw FileError("create", staged) }
            defer { close(output) }
            let root = Glibc.open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard root >= 0 else { throw FileError("open", upper) }
            defer { close(root) }
            let writer = try ArchiveWriter { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = bytes[offset...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
                    guard n > 0 else { throw FileError("write", staged) }
                    offset += n
                }
            }
            try LayerExporter(root: root, skipping: skipping).export(into: writer)
            try writer.finish()
        }
        defer { unlink(staged) }
        let parent: Layer? = if let top = record.topLayer { await layers.layer(top) } else { nil }
        let input = Glibc.open(staged, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileError("open", staged) }
        let reader = FileChunks(fd: input)
        let layer = try await layers.create(parent: parent) { try reader.next() }
        let now = Timestamp.rfc3339Nano(nanoseconds: Timestamp.nowNanoseconds())
        var image = record.config
        image.rootfs.diff_ids.append(layer.diffID)
        image.config = config
        image.container = id
        image.container_config = containerConfig
        image.created = now
        image.docker_version = version
        image.author = author.isEmpty ? nil : author
        image.comment = comment.isEmpty ? nil : comment
        image.history = (image.history ?? []) + [.init(created: now, created_by: createdBy, author: author.isEmpty ? nil : author,
                                                       comment: comment.isEmpty ? nil : comment)]
        let committed = try await images.add(try image.encoded())
        if let tagged {
            try await images.tag(tagged, committed.id)
            await publish("tag", committed.id.description, ["name": tagged.description])
        }
        return committed.id.description
    }
}

/// A file read in pieces by the stream pool's thread (a staged tar into `LayerStore.create`);
/// closes it at the end.
final class FileChunks: Sendable {
    /// The descriptor, -1 once closed.
    private let fd: Locked<Int32>

    init(fd: Int32) { self.fd = Locked(fd) }

    deinit { fd.withLock { if $0 >= 0 { close($0) } } }

    func next() throws -> [UInt8]? {
        try fd.withLock { fd throws(FileError) -> [UInt8]? in
            guard fd >= 0 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n >= 0 else { throw FileError("read", "a staged layer") }
                if n == 0 {
                    close(fd)
                    fd = -1
                    return nil
                }
                return Array(chunk[..<n])
            }
        }
    }
}
