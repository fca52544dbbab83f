import BerthCore
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

/// The read-only layers, and the writable layers containers run on, in dockerd's layout under
/// the data root (see `StorageLayout`). An actor: it decides what exists; the file work runs on
/// the blocking pools.
///
/// A layer is written under temporary names and renamed into place once complete (the driver's
/// directory first, then its layerdb entry, which is what makes it exist), so a crash leaves at
/// worst temporary directories, removed when the store opens. Two writes of the same layer at
/// once store it once: the second finds the first's at commit and drops its own.
actor LayerStore {
    let layout: StorageLayout
    private var layers: [Digest: Layer]
    /// overlay2's short link name per cache id.
    private var links: [String: String]
    /// Layers being renamed into place: a second write of the same chain waits for the first.
    private var commits: [Digest: Task<Layer, any Error>] = [:]
    /// Containers' writable layers, by the id they were created with.
    private var writable: [String: WritableLayer]
    /// Each writable layer's latest mount or unmount, which the next one waits for.
    private var mountOperations: [String: Task<Void, Never>] = [:]

    private init(layout: StorageLayout, layers: [Digest: Layer], links: [String: String], writable: [String: WritableLayer]) {
        self.layout = layout
        self.layers = layers
        self.links = links
        self.writable = writable
    }

    /// Opens the store under `layout`, creating its directories, on the blocking pool.
    static func open(_ layout: StorageLayout) async throws -> LayerStore {
        let loaded = try await BlockingPool.shared.run {
            try layout.create()
            return try load(layout)
        }
        return LayerStore(layout: layout, layers: loaded.layers, links: loaded.links, writable: loaded.writable)
    }

    /// Reads layerdb, dropping entries whose files are missing, and removes temporary leftovers.
    private static func load(_ layout: StorageLayout) throws
        -> (layers: [Digest: Layer], links: [String: String], writable: [String: WritableLayer]) {
        var layers: [Digest: Layer] = [:]
        var links: [String: String] = [:]
        for name in try listDirectory(layout.layerDB) {
            let path = "\(layout.layerDB)/\(name)"
            guard let chainID = Digest(hex: name),
                  let diffID = SmallFile.text(path + "/diff").flatMap({ Digest($0.trimmingWhitespace) }),
                  let cacheID = SmallFile.text(path + "/cache-id")?.trimmingWhitespace, !cacheID.isEmpty,
                  let size = SmallFile.text(path + "/size").flatMap({ Int($0.trimmingWhitespace) }) else {
                try? removeTree(path)  // a temporary or broken entry
                continue
            }
            let parent = SmallFile.text(path + "/parent").flatMap { Digest($0.trimmingWhitespace) }
            layers[chainID] = Layer(chainID: chainID, diffID: diffID, parent: parent, cacheID: cacheID, size: size)
            if layout.driver == .overlay2, let link = SmallFile.text("\(layout.driverRoot)/\(cacheID)/link") {
                links[cacheID] = link.trimmingWhitespace
            }
        }
        for name in try listDirectory(layout.driverRoot) where name.hasPrefix("tmp-") {
            try? removeTree("\(layout.driverRoot)/\(name)")
        }
        for name in try listDirectory(layout.stagingRoot) { try? removeTree("\(layout.stagingRoot)/\(name)") }
        var writable: [String: WritableLayer] = [:]
        for id in try listDirectory(layout.mounts) {
            let path = "\(layout.mounts)/\(id)"
            guard let mountID = SmallFile.text(path + "/mount-id")?.trimmingWhitespace, !mountID.isEmpty else {
                try? removeTree(path)
                continue
            }
            let parent = SmallFile.text(path + "/parent").flatMap { Digest($0.trimmingWhitespace) }
            // A daemon that was killed left its containers' roots mounted.
            if layout.driver == .overlay2 { umount2("\(layout.driverRoot)/\(mountID)/merged", Int32(MNT_DETACH)) }
            writable[id] = WritableLayer(id: id, mountID: mountID, parent: parent, users: 0)
        }
        return (layers, links, writable)
    }

    func layer(_ chainID: Digest) -> Layer? { layers[chainID] }

    var allLayers: [Layer] { Array(layers.values) }

    /// The uncompressed tar a layer was made from, byte for byte (what `docker save` writes).
    nonisolated func tarPath(of layer: Layer) -> String {
        "\(layout.layerDB)/\(layer.chainID.hex)/layer.tar"
    }

    /// The layer `source`'s tar makes on top of `parent`; an existing one when the same chain is
    /// stored already. With `expected`, a tar whose digest differs is refused, and a chain known
    /// already is not read at all. `source` is called on a thread of the stream pool.
    func create(parent: Layer?, expected: Digest? = nil, from source: @escaping @Sendable () throws -> [UInt8]?) async throws -> Layer {
        if let expected, let existing = layers[Layer.chainID(parent: parent?.chainID, diffID: expected)] { return existing }
        let lowerTars = layout.driver == .vfs ? chain(below: parent).map(tarPath(of:)) : []
        let writer = LayerWriter(layout: layout, lowerTars: lowerTars)
        let written = try await BlockingPool.streams.run { try writer.write(from: source) }
        if let expected, written.diffID != expected {
            try? await discard(written)
            throw ArchiveError.invalid("layer digest mismatch: the archive says \(expected), its content is \(written.diffID)")
        }
        return try await commit(written, parent: parent)
    }

    /// `layer` and every layer below it, bottom first.
    func chain(below layer: Layer?) -> [Layer] {
        var result: [Layer] = []
        var current = layer
        while let next = current {
            result.append(next)
            current = next.parent.flatMap { layers[$0] }
        }
        return result.reversed()
    }

    /// Makes a written layer part of the store, unless the same chain is there (or on its way)
    /// already: then the written copy goes.
    private func commit(_ written: LayerWriter.Written, parent: Layer?) async throws -> Layer {
        let chainID = Layer.chainID(parent: parent?.chainID, diffID: written.diffID)
        if let existing = layers[chainID] {
            try? await discard(written)
            return existing
        }
        if let inFlight = commits[chainID] {
            try? await discard(written)
            return try await inFlight.value
        }
        let task = Task { try await self.store(written, parent: parent, chainID: chainID) }
        commits[chainID] = task
        defer { commits[chainID] = nil }
        return try await task.value
    }

    /// Renames a written layer into place and records it.
    private func store(_ written: LayerWriter.Written, parent: Layer?, chainID: Digest) async throws -> Layer {
        let layer = Layer(chainID: chainID, diffID: written.diffID, parent: parent?.chainID, cacheID: written.cacheID,
                          size: written.size)
        let layout = layout
        let lower = parent.map { chain(below: $0).reversed().compactMap { links[$0.cacheID].map { "l/\($0)" } } } ?? []
        let link = try await BlockingPool.shared.run { () -> String? in
            let directory = "\(layout.driverRoot)/\(layer.cacheID)"
            var link: String?
            if layout.driver == .overlay2 {
                let name = Self.randomLinkName()
                try DurableFile.write(Array(name.utf8), to: written.driverDirectory + "/link")
                if !lower.isEmpty { try DurableFile.write(Array(lower.joined(separator: ":").utf8), to: written.driverDirectory + "/lower") }
                link = name
            }
            guard rename(written.driverDirectory, directory) == 0 else { throw FileError("rename", directory) }
            if let link, symlink("../\(layer.cacheID)/diff", "\(layout.linkRoot)/\(link)") != 0 {
                throw FileError("symlink", "\(layout.linkRoot)/\(link)")
            }
            try DurableFile.write(Array(layer.diffID.description.utf8), to: written.metadataDirectory + "/diff")
            try DurableFile.write(Array(String(layer.size).utf8), to: written.metadataDirectory + "/size")
            try DurableFile.write(Array(layer.cacheID.utf8), to: written.metadataDirectory + "/cache-id")
            if let parent = layer.parent { try DurableFile.write(Array(parent.description.utf8), to: written.metadataDirectory + "/parent") }
            let final = "\(layout.layerDB)/\(layer.chainID.hex)"
            guard rename(written.metadataDirectory, final) == 0 else { throw FileError("rename", final) }
            try DurableFile.syncDirectory(layout.layerDB)
            return link
        }
        layers[chainID] = layer
        if let link { links[layer.cacheID] = link }
        return layer
    }

    private func discard(_ written: LayerWriter.Written) async throws {
        try await BlockingPool.shared.run {
            try removeTree(written.driverDirectory)
            try removeTree(written.metadataDirectory)
        }
    }

    /// Removes a layer nothing refers to any more (the image store decides that).
    func remove(_ chainID: Digest) async throws {
        guard let layer = layers.removeValue(forKey: chainID) else { return }
        let layout = layout
        let link = links.removeValue(forKey: layer.cacheID)
        try await BlockingPool.shared.run {
            // The layerdb entry goes first: without it the layer does not exist, whatever is left.
            let entry = "\(layout.layerDB)/\(chainID.hex)"
            let doomed = "\(layout.layerDB)/tmp-removed-\(chainID.hex)"
            if rename(entry, doomed) == 0 { try removeTree(doomed) }
            if let link { unlink("\(layout.linkRoot)/\(link)") }
            try removeTree("\(layout.driverRoot)/\(layer.cacheID)")
        }
    }

    // MARK: Writable layers

    /// A container's writable layer.
    struct WritableLayer: Sendable {
        let id: String
        /// Its directory's name in the driver's root.
        let mountID: String
        let parent: Digest?
        /// Mounts asked for and not yet released (a run, a `docker cp`): mounted while above 0.
        var users: Int
    }

    /// Creates the writable layer `id` on top of `parent` (nil: an empty root). Nothing is
    /// mounted yet.
    func createWritableLayer(id: String, parent: Digest?) async throws {
        guard writable[id] == nil else { throw APIError.conflict("writable layer \(id) exists already") }
        let parentLayer = try parent.map { chainID -> Layer in
            guard let layer = layers[chainID] else { throw APIError.notFound("layer \(chainID) does not exist") }
            return layer
        }
        let layout = layout
        let mountID = randomHex(64)
        let lower = parentLayer.map { chain(below: $0).reversed().compactMap { links[$0.cacheID].map { "l/\($0)" } } } ?? []
        let lowerTars = layout.driver == .vfs ? chain(below: parentLayer).map(tarPath(of:)) : []
        try await BlockingPool.streams.run {
            let directory = "\(layout.driverRoot)/\(mountID)"
            if layout.driver == .overlay2 {
                for part in ["diff", "work", "merged"] { try layout.makeDirectories("\(directory)/\(part)") }
                chmod("\(directory)/diff", 0o755)
                if !lower.isEmpty { try DurableFile.write(Array(lower.joined(separator: ":").utf8), to: directory + "/lower") }
            } else {
                try layout.makeDirectories(directory)
                chmod(directory, 0o755)
                let root = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard root >= 0 else { throw FileError("open", directory) }
                defer { close(root) }
                for tar in lowerTars { try LayerWriter.replay(tar, into: root) }
            }
            let metadata = "\(layout.mounts)/\(id)"
            try layout.makeDirectories(metadata)
            if let parent { try DurableFile.write(Array(parent.description.utf8), to: metadata + "/parent") }
            try DurableFile.write(Array(mountID.utf8), to: metadata + "/mount-id")
        }
        writable[id] = WritableLayer(id: id, mountID: mountID, parent: parent, users: 0)
    }

    /// Mounts the writable layer `id` (overlay2: its layers under overlayfs) and returns the path
    /// of the root file system. Each mount is released by one `unmount`; the layer stays mounted
    /// while anyone holds it (a container's run and a `docker cp` at once).
    func mount(_ id: String) async throws -> String {
        try await inOrder(id) { store in try await store.mountNow(id) }
    }

    /// Releases one `mount` of the writable layer `id`: the last one unmounts it.
    func unmount(_ id: String) async throws {
        try await inOrder(id) { store in try await store.unmountNow(id, all: false) }
    }

    /// Unmounts and removes the writable layer `id` and everything written to it.
    func removeWritableLayer(_ id: String) async throws {
        try await inOrder(id) { store in try await store.unmountNow(id, all: true) }
        mountOperations[id] = nil
        guard let layer = writable.removeValue(forKey: id) else { return }
        let layout = layout
        try await BlockingPool.shared.run {
            try removeTree("\(layout.mounts)/\(id)")
            try removeTree("\(layout.driverRoot)/\(layer.mountID)")
        }
    }

    /// Runs a mount or unmount of layer `id` after the ones asked for before it: each awaits the
    /// kernel, and two interleaved would mount twice or unmount what the other just mounted.
    private func inOrder<T: Sendable>(_ id: String, _ operation: @escaping @Sendable (isolated LayerStore) async throws -> T) async throws -> T {
        let previous = mountOperations[id]
        let task = Task { () async throws -> T in
            await previous?.value
            return try await operation(self)
        }
        mountOperations[id] = Task { _ = try? await task.value }
        return try await task.value
    }

    private func mountNow(_ id: String) async throws -> String {
        guard var layer = writable[id] else { throw APIError.notFound("writable layer \(id) does not exist") }
        let directory = "\(layout.driverRoot)/\(layer.mountID)"
        guard layout.driver == .overlay2 else { return directory }
        let merged = directory + "/merged"
        if layer.users == 0 {
            let lowers = (SmallFile.text(directory + "/lower")?.trimmingWhitespace ?? "")
                .split(separator: ":").map { "\(layout.dataRoot)/overlay2/\($0)" }
            try await BlockingPool.shared.run {
                let result: Int32
                if lowers.isEmpty {
                    result = Glibc.mount(directory + "/diff", merged, "none", UInt(MS_BIND), nil)
                } else {
                    let options = "lowerdir=\(lowers.joined(separator: ":")),upperdir=\(directory)/diff,workdir=\(directory)/work"
                    guard options.utf8.count < 4000 else { throw APIError.system("too many layers to mount (\(lowers.count))") }
                    result = Glibc.mount("overlay", merged, "overlay", 0, options)
                }
                guard result == 0 else { throw FileError("mount overlay", merged) }
            }
        }
        layer.users += 1
        writable[id] = layer
        return merged
    }

    private func unmountNow(_ id: String, all: Bool) async throws {
        guard var layer = writable[id], layer.users > 0 else { return }
        layer.users = all ? 0 : layer.users - 1
        writable[id] = layer
        guard layer.users == 0, layout.driver == .overlay2 else { return }
        let merged = "\(layout.driverRoot)/\(layer.mountID)/merged"
        try await BlockingPool.shared.run {
            guard umount2(merged, Int32(MNT_DETACH)) == 0 || errno == EINVAL else { throw FileError("unmount", merged) }
        }
    }

    /// The driver's directory of the layer under writable layer `id` (vfs: the image's full tree),
    /// nil when it has none.
    func writableParentDirectory(_ id: String) -> String? {
        guard let parent = writable[id]?.parent, let layer = layers[parent] else { return nil }
        return "\(layout.driverRoot)/\(layer.cacheID)"
    }

    /// The driver's directory of writable layer `id`, if it exists.
    func writableDirectory(_ id: String) -> String? {
        writable[id].map { "\(layout.driverRoot)/\($0.mountID)" }
    }

    /// The layers under each writable layer (the image store keeps their images).
    var writableParents: [Digest] { writable.values.compactMap(\.parent) }

    /// A 26-character name from A–Z and 2–7, as overlay2's `l/` links are.
    static func randomLinkName() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var generator = SystemRandomNumberGenerator()
        return String((0..<26).map { _ in alphabet[Int(generator.next() % 32)] })
    }
}
