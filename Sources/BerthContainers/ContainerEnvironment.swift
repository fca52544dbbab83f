import BerthImages
import BerthRuntime

/// What every container shares: the image store, the init binary, where events go, and the
/// service's answers to questions about other containers.
struct ContainerEnvironment: Sendable {
    /// Publishes a container event: its action, the container's ID, and attributes beyond the
    /// container's own (`exitCode`, `signal`).
    typealias Publish = @Sendable (_ action: String, _ id: String, _ attributes: [String: String]) async -> Void

    let images: ImageService
    let volumes: VolumeStore
    let initBinary: InitBinary
    let publish: Publish
    /// The cgroup every container's cgroup is made under (`/docker`, as dockerd's default).
    let cgroupParent: String
    /// Removes a container whose `AutoRemove` process exited.
    let autoRemove: @Sendable (_ id: String) async -> Void
    /// The network namespace of the running container `name` (`--network container:name`).
    let networkNamespace: @Sendable (_ name: String) async throws -> String
}
