import BerthAPI
import BerthCore
import BerthTransport
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The images: their configurations (`imagedb/content/sha256/<id>`, the ID being the SHA-256 of
/// the bytes) and the references that name them (`repositories.json`). An actor in front of the
/// files; each metadata file is written durably (temporary file, fsync, rename). An image exists
/// once its configuration is written, which happens only after all its layers are in the
/// `LayerStore`; a configuration whose layers are missing (a crash mid-load) is dropped on open.
actor ImageStore {
    let layout: StorageLayout
    let layers: LayerStore
    private var images: [Digest: ImageRecord]
    private var references: [Reference: Digest]
    /// The image each container was made from, by container ID.
    private var users: [String: Digest] = [:]

    private init(layout: StorageLayout, layers: LayerStore, images: [Digest: ImageRecord], references: [Reference: Digest]) {
        self.layout = layout
        self.layers = layers
        self.images = images
        self.references = references
    }

    static func open(_ layout: StorageLayout, layers: LayerStore) async throws -> ImageStore {
        let known = Dictionary(uniqueKeysWithValues: await layers.allLayers.map { ($0.chainID, $0) })
        let (images, references) = try await BlockingPool.shared.run { try load(layout, known) }
        return ImageStore(layout: layout, layers: layers, images: images, references: references)
    }

    private static func load(_ layout: StorageLayout, _ known: [Digest: Layer]) throws
        -> ([Digest: ImageRecord], [Reference: Digest]) {
        var images: [Digest: ImageRecord] = [:]
        for name in try listDirectory(layout.imageContent) {
            let path = "\(layout.imageContent)/\(name)"
            guard let id = Digest(hex: name), case .success(let bytes) = SmallFile.read(path), SHA256.digest(bytes) == id,
                  let config = try? ImageConfig.decode(bytes),
                  let record = record(id, bytes, config, known) else {
                unlink(path)  // a temporary or broken file, or an image whose layers never arrived
                continue
            }
            var loaded = record
            loaded.lastTagTime = SmallFile.text("\(layout.imageMetadata)/\(name)/lastUpdated")
            images[id] = loaded
        }
        var references: [Reference: Digest] = [:]
        if case .success(let bytes) = SmallFile.read(layout.repositories),
           let file = try? JSONDecoder().decode(RepositoriesFile.self, from: Data(bytes)) {
            for (_, tags) in file.Repositories {
                for (name, id) in tags {
                    guard let reference = try? Reference(parsing: name), let id = Digest(id), images[id] != nil else { continue }
                    references[reference] = id
                }
            }
        }
        return (images, references)
    }

    /// A record for a configuration whose layers are all in `known`; nil otherwise.
    private static func record(_ id: Digest, _ bytes: [UInt8], _ config: ImageConfig, _ known: [Digest: Layer]) -> ImageRecord? {
        var chain: Digest?
        var size = 0
        for diffID in config.rootfs.diff_ids {
            let next = Layer.chainID(parent: chain, diffID: diffID)
            guard let layer = known[next] else { return nil }
            size += layer.size
            chain = next
        }
        return ImageRecord(id: id, configBytes: bytes, config: config, topLayer: chain, size: size)
    }

    /// `repositories.json`, as dockerd writes it: `{"Repositories":{"bb":{"bb:1":"sha256:…"}}}`.
    private struct RepositoriesFile: Codable {
        var Repositories: [String: [String: String]]
    }

    // MARK: Reading

    var all: [ImageRecord] { Array(images.values) }

    func record(_ id: Digest) -> ImageRecord? { images[id] }

    /// The references that name `id`, sorted.
    func tags(of id: Digest) -> [Reference] {
        references.filter { $0.value == id }.map(\.key).sorted()
    }

    var allReferences: [Reference: Digest] { references }

    /// Records that container `container` uses image `id`.
    func use(_ id: Digest, by container: String) { users[container] = id }

    /// Container `container` no longer uses its image.
    func release(by container: String) { users.removeValue(forKey: container) }

    /// The size of the image container `container` was made from.
    func imageSize(usedBy container: String) -> Int? { users[container].flatMap { images[$0]?.size } }

    /// The containers that use image `id`, sorted.
    func containers(using id: Digest) -> [String] { users.filter { $0.value == id }.map(\.key).sorted() }

    /// The image a user's name means: a reference (with `:latest` implied), a full ID, or a
    /// unique ID prefix. Nil if none; an ambiguous prefix is a 400.
    func resolve(_ name: String) throws -> ImageRecord? {
        if let id = Digest(name) ?? Digest(hex: name) { return images[id] }
        if let reference = try? Reference(parsing: name), let id = references[reference] { return images[id] }
        var prefix = name.hasPrefix("sha256:") ? String(name.dropFirst(7)) : name
        prefix = prefix.lowercased()
        guard !prefix.isEmpty, prefix.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        let matches = images.keys.filter { $0.hex.hasPrefix(prefix) }
        guard matches.count <= 1 else { throw APIError.invalidParameter("ambiguous image ID \(name): \(matches.count) images match") }
        return matches.first.flatMap { images[$0] }
    }

    // MARK: Changing

    /// Adds the image `configBytes` describes; its layers must be in the layer store already.
    func add(_ configBytes: [UInt8]) async throws -> ImageRecord {
        let id = SHA256.digest(configBytes)
        if let existing = images[id] { return existing }
        let config = try ImageConfig.decode(configBytes)
        let known = Dictionary(uniqueKeysWithValues: await layers.allLayers.map { ($0.chainID, $0) })
        guard let record = Self.record(id, configBytes, config, known) else {
            throw APIError.invalidParameter("image \(id) names layers that are not in the store")
        }
        let path = "\(layout.imageContent)/\(id.hex)"
        try await BlockingPool.shared.run { try DurableFile.write(configBytes, to: path) }
        images[id] = record
        return record
    }

    /// Points `reference` at `id` (moving it from another image if it named one).
    func tag(_ reference: Reference, _ id: Digest) async throws {
        guard images[id] != nil else { throw APIError.notFound("No such image: \(id)") }
        references[reference] = id
        let now = Timestamp.rfc3339(nanoseconds: Timestamp.nowNanoseconds())
        images[id]?.lastTagTime = now
        let metadata = "\(layout.imageMetadata)/\(id.hex)"
        let layout = layout
        try await saveReferences()
        try await BlockingPool.shared.run {
            try layout.makeDirectories(metadata)
            try DurableFile.write(Array(now.utf8), to: metadata + "/lastUpdated")
        }
    }

    /// Removes `reference`; false if it named nothing.
    func untag(_ reference: Reference) async throws -> Bool {
        guard references.removeValue(forKey: reference) != nil else { return false }
        try await saveReferences()
        return true
    }

    /// Removes the image `id` (its references must be gone) and every layer no other image and
    /// no container's writable layer stands on. Returns the chain IDs of the layers removed.
    func remove(_ id: Digest) async throws -> [Digest] {
        guard let record = images.removeValue(forKey: id) else { return [] }
        let layout = layout
        try await BlockingPool.shared.run {
            unlink("\(layout.imageContent)/\(id.hex)")
            try removeTree("\(layout.imageMetadata)/\(id.hex)")
            try DurableFile.syncDirectory(layout.imageContent)
        }
        var inUse = Set<Digest>()
        for top in images.values.compactMap(\.topLayer) + (await layers.writableParents) {
            for layer in await layers.chain(below: await layers.layer(top)) { inUse.insert(layer.chainID) }
        }
        var removed: [Digest] = []
        let top: Layer? = if let chainID = record.topLayer { await layers.layer(chainID) } else { nil }
        for layer in await layers.chain(below: top).reversed() where !inUse.contains(layer.chainID) {
            try await layers.remove(layer.chainID)
            removed.append(layer.chainID)
        }
        return removed
    }

    private func saveReferences() async throws {
        var file = RepositoriesFile(Repositories: [:])
        for (reference, id) in references {
            file.Repositories[reference.familiarName, default: [:]][reference.description] = id.description
        }
        let bytes = Array(try JSONEncoder.goStyle(sortedKeys: true).encode(file))
        let path = layout.repositories
        try await BlockingPool.shared.run { try DurableFile.write(bytes, to: path) }
    }
}
