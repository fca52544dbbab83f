import BerthAPI
import BerthCore
import BerthTransport

/// An image as a container is made from it: its ID and the configuration its process starts
/// from.
public struct ContainerImage: Sendable {
    /// `sha256:…`.
    public let id: String
    public let config: ContainerConfig?
}

/// What the containers service asks of the image store: an image for a new container, and each
/// container's writable layer (create, mount, unmount, remove).
extension ImageService {
    /// The image `name` means, or Docker's 404 (`No such image: bb:latest`), which makes the CLI
    /// try to pull it.
    public func containerImage(_ name: String) async throws -> ContainerImage {
        let record = try await image(name)
        return ContainerImage(id: record.id.description, config: record.config.config)
    }

    /// Creates the writable layer of container `id` on the image `imageID`, and records that the
    /// container uses the image (which then cannot be deleted without force).
    public func createContainerLayer(_ id: String, imageID: String) async throws {
        guard let digest = Digest(imageID), let record = try await images.resolve(digest.description) else {
            throw APIError.notFound("No such image: \(imageID)")
        }
        await images.use(digest, by: id)
        do {
            try await layers.createWritableLayer(id: id, parent: record.topLayer)
        } catch {
            await images.release(by: id)
            throw error
        }
    }

    /// Records, when the daemon starts, that container `id` (whose writable layer exists) uses
    /// the image `imageID`.
    public func adoptContainerLayer(_ id: String, imageID: String) async {
        guard let digest = Digest(imageID) else { return }
        await images.use(digest, by: id)
    }

    /// Mounts container `id`'s root file system and returns its path.
    public func mountContainerLayer(_ id: String) async throws -> String {
        try await layers.mount(id)
    }

    public func unmountContainerLayer(_ id: String) async throws {
        try await layers.unmount(id)
    }

    /// Removes container `id`'s writable layer and its hold on its image.
    public func removeContainerLayer(_ id: String) async throws {
        try await layers.removeWritableLayer(id)
        await images.release(by: id)
    }

    /// The bytes container `id` wrote (its writable layer; nil where the driver cannot tell them
    /// from the image's, as vfs), and those plus its image's.
    public func containerLayerSizes(_ id: String) async -> (writable: Int64?, total: Int64?) {
        guard let directory = await layers.writableDirectory(id) else { return (nil, nil) }
        let imageSize = await images.imageSize(usedBy: id)
        guard driver == .overlay2 else { return (nil, imageSize.map(Int64.init)) }
        let writable = (try? await BlockingPool.shared.run { treeSize(directory + "/diff") }) ?? 0
        return (writable, writable + Int64(imageSize ?? 0))
    }

    /// Where container `id`'s files are, as `docker inspect` shows it.
    public func containerGraphDriver(_ id: String) async -> ContainerInspect.GraphDriver {
        guard let directory = await layers.writableDirectory(id) else { return .init(Data: nil, Name: driver.rawValue) }
        guard driver == .overlay2 else { return .init(Data: nil, Name: driver.rawValue) }
        var data = ["MergedDir": directory + "/merged", "UpperDir": directory + "/diff", "WorkDir": directory + "/work"]
        let lowers = (SmallFile.text(directory + "/lower")?.trimmingWhitespace ?? "")
            .split(separator: ":").map { "\(layers.layout.dataRoot)/overlay2/\($0)" }
        if !lowers.isEmpty { data["LowerDir"] = lowers.joined(separator: ":") }
        return .init(Data: data, Name: driver.rawValue)
    }
}
