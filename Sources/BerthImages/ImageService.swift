import BerthAPI
import BerthCore
import BerthTransport
import FoundationEssentials

/// The image store as the API sees it: `ImagesBackend` over the `ImageStore` and `LayerStore`.
public final class ImageService: ImagesBackend {
    /// Publishes an image event: its action (`tag`, `load`, …), the image ID and the attributes.
    public typealias EventPublisher = @Sendable (_ action: String, _ id: String, _ attributes: [String: String]) async -> Void

    public let driver: StorageDriver
    let images: ImageStore
    let layers: LayerStore
    let publish: EventPublisher
    /// `docker_version` in the configurations this daemon writes.
    let version: String
    /// `architecture` in them (Go's name: `amd64`, `arm64`).
    let architecture: String

    private init(driver: StorageDriver, images: ImageStore, layers: LayerStore, publish: @escaping EventPublisher, version: String,
                 architecture: String) {
        self.driver = driver
        self.images = images
        self.layers = layers
        self.publish = publish
        self.version = version
        self.architecture = architecture
    }

    /// Opens the store under `dataRoot` with `driver` (nil: overlay2 where it works, else vfs).
    public static func open(dataRoot: String, driver: StorageDriver?, version: String, architecture: String,
                            publish: @escaping EventPublisher) async throws -> ImageService {
        let chosen: StorageDriver
        if let driver {
            chosen = driver
        } else {
            chosen = try await BlockingPool.shared.run { StorageDriver.preferred(under: dataRoot) }
        }
        let layout = StorageLayout(dataRoot: dataRoot, driver: chosen)
        let layers = try await LayerStore.open(layout)
        let images = try await ImageStore.open(layout, layers: layers)
        return ImageService(driver: chosen, images: images, layers: layers, publish: publish, version: version,
                            architecture: architecture)
    }

    /// How many images there are (for `/info`).
    public var count: Int {
        get async { await images.all.count }
    }

    // MARK: Finding images

    /// The image `name` means, or Docker's 404: `No such image: bb:latest`.
    func image(_ name: String) async throws -> ImageRecord {
        if let record = try await images.resolve(name) { return record }
        throw APIError.notFound("No such image: \(Self.displayName(name))")
    }

    /// A name as Docker's messages show it: with `:latest` when it is a reference without a tag.
    static func displayName(_ name: String) -> String {
        guard Digest(name) == nil, let reference = try? Reference(parsing: name) else { return name }
        return reference.description
    }

    // MARK: Listing and inspecting

    /// The images `docker images` lists. `all` is for intermediate images (an image some other
    /// image names as its parent); no image has a parent until commit lands, so both answers
    /// are the same today. (`digests`, which the CLI also sends, is display-only: dockerd ignores it.)
    public func images(all: Bool, filters: Filters) async throws -> [ImageSummary] {
        let records = await images.all
        let references = await images.allReferences
        var tagsByImage: [Digest: [Reference]] = [:]
        for (reference, id) in references { tagsByImage[id, default: []].append(reference) }
        let dangling = try filters.bool("dangling")
        let before = try await filters["before"].asyncFlatMap { try await boundary($0) }
        let since = try await filters["since"].asyncFlatMap { try await boundary($0) }
        var result: [ImageSummary] = []
        for record in records {
            let tags = (tagsByImage[record.id] ?? []).sorted()
            if let dangling, dangling != tags.isEmpty { continue }
            if let patterns = filters["reference"] {
                guard tags.contains(where: { tag in patterns.contains { Self.matches(tag, $0) } }) else { continue }
            }
            guard filters.matchesLabels(record.config.config?.Labels) else { continue }
            let created = record.config.createdNanoseconds
            if let before, created >= before { continue }
            if let since, created <= since { continue }
            var summary = ImageSummary()
            summary.Created = created / 1_000_000_000
            summary.Id = record.id.description
            summary.Labels = record.config.config?.Labels
            summary.RepoTags = tags.isEmpty ? ["<none>:<none>"] : tags.map(\.description)
            summary.RepoDigests = tags.isEmpty ? ["<none>@<none>"] : nil
            summary.Size = record.size
            summary.VirtualSize = record.size
            result.append(summary)
        }
        return result.sorted { ($0.Created, $0.Id) > ($1.Created, $1.Id) }
    }

    /// The creation time of the images a `before`/`since` filter names.
    private func boundary(_ names: Set<String>) async throws -> Int64 {
        guard let name = names.first else { return 0 }
        return try await image(name).config.createdNanoseconds
    }

    /// A `reference` filter: a glob over `name:tag` (or over the name alone, tag `latest` too).
    static func matches(_ reference: Reference, _ pattern: String) -> Bool {
        if pattern.contains(":") { return glob(pattern, reference.description) }
        return glob(pattern, reference.familiarName)
    }

    /// `*` and `?` as shell globs do, `*` not crossing `/`.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        func match(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == t.count }
            switch p[i] {
            case "*":
                var k = j
                while true {
                    if match(i + 1, k) { return true }
                    if k == t.count || t[k] == "/" { return false }
                    k += 1
                }
            case "?": return j < t.count && t[j] != "/" && match(i + 1, j + 1)
            default: return j < t.count && t[j] == p[i] && match(i + 1, j + 1)
            }
        }
        return match(0, 0)
    }

    public func inspect(_ name: String) async throws -> ImageInspect {
        guard let record = try await images.resolve(name) else {
            throw APIError.notFound("no such image: \(name): No such image: \(Self.displayName(name))")
        }
        let config = record.config
        var inspect = ImageInspect()
        inspect.Id = record.id.description
        inspect.RepoTags = await images.tags(of: record.id).map(\.description)
        inspect.Comment = config.comment ?? ""
        inspect.Created = config.created ?? ""
        inspect.Container = config.container ?? ""
        inspect.ContainerConfig = config.container_config ?? ContainerConfig()
        inspect.DockerVersion = config.docker_version ?? ""
        inspect.Author = config.author ?? ""
        inspect.Config = config.config
        inspect.Architecture = config.architecture ?? ""
        inspect.Variant = config.variant
        inspect.Os = config.os ?? ""
        inspect.Size = record.size
        inspect.VirtualSize = record.size
        inspect.GraphDriver = await graphDriver(record)
        inspect.RootFS = .init(Layers: config.rootfs.diff_ids.map(\.description))
        if let time = record.lastTagTime { inspect.Metadata = .init(LastTagTime: time) }
        return inspect
    }

    /// Where the image's files are, as `docker inspect` shows it.
    private func graphDriver(_ record: ImageRecord) async -> ImageInspect.GraphDriver {
        guard driver == .overlay2, let top = record.topLayer, let layer = await layers.layer(top) else {
            return .init(Data: nil, Name: driver.rawValue)
        }
        let root = layers.layout.driverRoot
        var data = ["MergedDir": "\(root)/\(layer.cacheID)/merged", "UpperDir": "\(root)/\(layer.cacheID)/diff",
                    "WorkDir": "\(root)/\(layer.cacheID)/work"]
        let lower = await layers.chain(below: layer).dropLast().reversed().map { "\(root)/\($0.cacheID)/diff" }
        if !lower.isEmpty { data["LowerDir"] = lower.joined(separator: ":") }
        return .init(Data: data, Name: driver.rawValue)
    }

    public func history(_ name: String) async throws -> [ImageHistoryItem] {
        let record = try await image(name)
        let tags = await images.tags(of: record.id).map(\.description)
        let config = record.config
        // Each entry that made a layer takes that layer's size, bottom first.
        var sizes: [Int] = []
        var chain: Digest?
        for diffID in config.rootfs.diff_ids {
            chain = Layer.chainID(parent: chain, diffID: diffID)
            sizes.append(await chain.asyncFlatMap { await layers.layer($0) }?.size ?? 0)
        }
        var entries = config.history ?? []
        if entries.isEmpty {
            entries = config.rootfs.diff_ids.map { _ in ImageConfig.History(created: config.created, comment: config.comment) }
        }
        var items: [ImageHistoryItem] = []
        var layerIndex = 0
        for entry in entries {
            var item = ImageHistoryItem()
            item.Comment = entry.comment ?? ""
            item.Created = (entry.created.flatMap(Timestamp.parseRFC3339) ?? 0) / 1_000_000_000
            item.CreatedBy = entry.created_by ?? ""
            if entry.empty_layer != true, layerIndex < sizes.count {
                item.Size = sizes[layerIndex]
                layerIndex += 1
            }
            items.append(item)
        }
        items.reverse()
        if !items.isEmpty {
            items[0].Id = record.id.description
            items[0].Tags = tags.isEmpty ? nil : tags
        }
        return items
    }

    // MARK: Tags and removal

    public func tag(_ name: String, repository: String, tag: String) async throws {
        let record = try await image(name)
        let reference = try Reference(name: repository, tag: tag.isEmpty ? "latest" : tag)
        try await images.tag(reference, record.id)
        await publish("tag", record.id.description, ["name": reference.description])
    }

    public func delete(_ name: String, force: Bool, prune: Bool) async throws -> [ImageDeleteItem] {
        let record = try await image(name)
        let tags = await images.tags(of: record.id)
        let users = await images.containers(using: record.id)
        var items: [ImageDeleteItem] = []
        // A reference names one tag: remove it, and the image only with its last tag.
        if Digest(name) == nil, let reference = try? Reference(parsing: name), tags.contains(reference) {
            if tags.count == 1, let user = users.first, !force {
                throw APIError.conflict("conflict: unable to remove repository reference \"\(name)\" (must force) - container "
                                        + "\(user.prefix(12)) is using its referenced image \(record.id.short)")
            }
            _ = try await images.untag(reference)
            items.append(.untagged(reference.description))
            await publish("untag", record.id.description, ["name": record.id.description])
            guard tags.count == 1, users.isEmpty else { return items }
        } else {
            if let user = users.first, !force {
                throw APIError.conflict("conflict: unable to delete \(record.id.short) (must be forced) - image is being used by "
                                        + "container \(user.prefix(12))")
            }
            guard tags.count <= 1 || force else {
                throw APIError.conflict(
                    "conflict: unable to delete \(record.id.short) (must be forced) - image is referenced in multiple repositories")
            }
            for reference in tags {
                _ = try await images.untag(reference)
                items.append(.untagged(reference.description))
                await publish("untag", record.id.description, ["name": record.id.description])
            }
            // Forced: the tags go, the image stays while a container runs on it.
            guard users.isEmpty else { return items }
        }
        items += try await remove(record)
        return items
    }

    /// Deletes an untagged image and the layers only it used.
    private func remove(_ record: ImageRecord) async throws -> [ImageDeleteItem] {
        let removedLayers = try await images.remove(record.id)
        await publish("delete", record.id.description, ["name": record.id.description])
        return [.deleted(record.id.description)] + removedLayers.map { .deleted($0.description) }
    }

    public func diskUsage() async throws -> (layersSize: Int, images: [ImageSummary]) {
        var summaries = try await images(all: true, filters: Filters())
        let records = Dictionary(uniqueKeysWithValues: await images.all.map { ($0.id, $0) })
        // How many images stand on each layer: a layer under two or more is shared.
        var users: [Digest: Int] = [:]
        var chains: [Digest: [Layer]] = [:]
        for record in records.values {
            let top: Layer? = if let chainID = record.topLayer { await layers.layer(chainID) } else { nil }
            let chain = await layers.chain(below: top)
            chains[record.id] = chain
            for layer in chain { users[layer.chainID, default: 0] += 1 }
        }
        for i in summaries.indices {
            guard let id = Digest(summaries[i].Id) else { continue }
            summaries[i].Containers = 0
            summaries[i].SharedSize = (chains[id] ?? []).filter { (users[$0.chainID] ?? 0) > 1 }.reduce(0) { $0 + $1.size }
        }
        let layersSize = await layers.allLayers.reduce(0) { $0 + $1.size }
        return (layersSize, summaries)
    }

    public func prune(filters: Filters) async throws -> ImagesPruneReport {
        let danglingOnly = try filters.bool("dangling") ?? true
        let until = try filters["until"].flatMap(\.first).map { try APITimestamp.parse($0, now: Timestamp.nowNanoseconds()) }
        var report = ImagesPruneReport()
        var deleted: [ImageDeleteItem] = []
        var reclaimed = 0
        for record in await images.all {
            let tags = await images.tags(of: record.id)
            if danglingOnly && !tags.isEmpty { continue }
            if await !images.containers(using: record.id).isEmpty { continue }
            if let until, record.config.createdNanoseconds >= until { continue }
            guard filters.matchesLabels(record.config.config?.Labels) else { continue }
            for reference in tags {
                _ = try await images.untag(reference)
                deleted.append(.untagged(reference.description))
                await publish("untag", record.id.description, ["name": record.id.description])
            }
            let sizes = Dictionary(uniqueKeysWithValues: await layers.allLayers.map { ($0.chainID, $0.size) })
            let removed = try await remove(record)
            for case .deleted(let id) in removed.dropFirst() { reclaimed += Digest(id).flatMap { sizes[$0] } ?? 0 }
            deleted += removed
        }
        report.ImagesDeleted = deleted.isEmpty ? nil : deleted
        report.SpaceReclaimed = reclaimed
        await publish("prune", "", ["reclaimed": String(reclaimed)])
        return report
    }
}

extension Optional {
    /// `flatMap` with an async transform.
    func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
