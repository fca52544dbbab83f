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
    /// Where a container's changes are read from.
    enum ChangeSource: Sendable {
        /// overlay2: the container's own directory (`diff`), and its image's layers below it, top first.
        case overlay(upper: String, lowers: [String])
        /// vfs: the container's whole tree, and its image's (nil for an image without layers).
        case copies(container: String, image: String?)
    }

    private func changeSource(_ id: String) async throws -> ChangeSource {
        guard let directory = await layers.writableDirectory(id) else { throw APIError.notFound("No such container: \(id)") }
        guard driver == .overlay2 else { return .copies(container: directory, image: await layers.writableParentDirectory(id)) }
        let lowers = (SmallFile.text(directory + "/lower")?.trimmingWhitespace ?? "")
            .split(separator: ":").map { "\(layers.layout.dataRoot)/overlay2/\($0)" }
        return .overlay(upper: directory + "/diff", lowers: lowers)
    }

    /// `docker diff`: what container `id` added (1), changed (0) and deleted (2), by path, as
    /// dockerd lists them; `excluding` names paths the runtime made (mount points such as
    /// `/proc`, `/etc/hostname`), which are not the container's changes.
    public func containerChanges(_ id: String, excluding: Set<String>) async throws -> [ContainerChange] {
        let source = try await changeSource(id)
        return try await BlockingPool.shared.run { try Self.changes(in: source, excluding: excluding) }
    }

    /// The changes, parents before what they hold, each directory's names in order. A directory
    /// is listed when it is new, or changed itself, or holds a change.
    static func changes(in source: ChangeSource, excluding: Set<String>) throws -> [ContainerChange] {
        var changes: [ContainerChange] = []
        func status(_ path: String) -> stat? {
            var info = stat()
            return lstat(path, &info) == 0 ? info : nil
        }
        func isDirectory(_ info: stat) -> Bool { UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFDIR) }
        /// Lists `path`, whose own entry is reported (at the place it had before its children)
        /// when `changed` or when something under it changed; whether it was.
        func directory(_ path: String, kind: Int, changed: Bool, walk: (String) throws -> Bool) rethrows -> Bool {
            let index = changes.count
            let inside = try walk(path)
            guard changed || inside else { return false }
            changes.insert(ContainerChange(Kind: kind, Path: path), at: index)
            return true
        }
        switch source {
        case .overlay(let upper, let lowers):
            func walk(_ path: String) throws -> Bool {
                var reported = false
                for name in try listDirectory(upper + path).sorted() {
                    let child = path + "/" + name
                    guard !excluding.contains(child), let info = status(upper + child) else { continue }
                    if UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFCHR), info.st_rdev == 0 {
                        changes.append(ContainerChange(Kind: 2, Path: child))  // overlayfs's whiteout
                        reported = true
                        continue
                    }
                    let existed = lowers.contains { status($0 + child) != nil }
                    if isDirectory(info) {
                        reported = try directory(child, kind: existed ? 0 : 1, changed: !existed, walk: walk) || reported
                    } else {
                        changes.append(ContainerChange(Kind: existed ? 0 : 1, Path: child))
                        reported = true
                    }
                }
                return reported
            }
            _ = try walk("")
        case .copies(let container, let image):
            // As dockerd's naive differ: a file changed when its mode, owner, device, size or
            // modification time did; a directory's size and time say nothing.
            func differs(_ now: stat, _ before: stat) -> Bool {
                if now.st_mode != before.st_mode || now.st_uid != before.st_uid || now.st_gid != before.st_gid
                    || now.st_rdev != before.st_rdev { return true }
                return !isDirectory(now) && (now.st_size != before.st_size || now.st_mtim.tv_sec != before.st_mtim.tv_sec
                                             || now.st_mtim.tv_nsec != before.st_mtim.tv_nsec)
            }
            func walk(_ path: String) throws -> Bool {
                let mine = try listDirectory(container + path)
                let theirs = image.map { (try? listDirectory($0 + path)) ?? [] } ?? []
                var reported = false
                for name in Set(mine).union(theirs).sorted() {
                    let child = path + "/" + name
                    if excluding.contains(child) { continue }
                    let before = image.flatMap { status($0 + child) }
                    guard let now = status(container + child) else {
                        if before != nil { changes.append(ContainerChange(Kind: 2, Path: child)) }
                        reported = reported || before != nil
                        continue
                    }
                    let changed = before.map { differs(now, $0) } ?? true
                    if isDirectory(now) {
                        reported = try directory(child, kind: before == nil ? 1 : 0, changed: changed, walk: walk) || reported
                    } else if changed {
                        changes.append(ContainerChange(Kind: before == nil ? 1 : 0, Path: child))
                        reported = true
                    }
                }
                return reported
            }
            _ = try walk("")
        }
        return changes
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
        let source = try await changeSource(id)
        let staged = "\(layers.layout.stagingRoot)/commit-\(randomHex(16)).tar"
        let skipping = Set(excluding.map { Array($0.drop { $0 == "/" }.utf8) })
        let layout = layers.layout
        try await BlockingPool.streams.run {
            try layout.makeDirectories(layout.stagingRoot)
            let output = Glibc.open(staged, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard output >= 0 else { throw FileError("create", staged) }
            defer { close(output) }
            var exporter: LayerExporter
            switch source {
            case .overlay(let upper, _):
                // The layer is overlay2's own directory, whiteouts and all.
                let root = Glibc.open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard root >= 0 else { throw FileError("open", upper) }
                exporter = LayerExporter(root: root, skipping: skipping)
            case .copies(let container, _):
                // The layer is what differs from the image: those paths, and a whiteout for each deletion.
                let root = Glibc.open(container, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard root >= 0 else { throw FileError("open", container) }
                exporter = LayerExporter(root: root)
                exporter.whiteouts = false
                var only = Set<[UInt8]>()
                for change in try Self.changes(in: source, excluding: excluding) {
                    let path = Array(change.Path.drop { $0 == "/" }.utf8)
                    guard change.Kind == 2 else {
                        only.insert(path)
                        continue
                    }
                    let slash = path.lastIndex(of: UInt8(ascii: "/"))
                    let parent = slash.map { Array(path[..<$0]) } ?? []
                    exporter.deleted[parent, default: []].append(Array(path[(slash.map { $0 + 1 } ?? 0)...]))
                }
                exporter.only = only
            }
            defer { close(exporter.root) }
            let writer = try ArchiveWriter { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = bytes[offset...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
                    guard n > 0 else { throw FileError("write", staged) }
                    offset += n
                }
            }
            try exporter.export(into: writer)
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
