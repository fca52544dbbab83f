/// What the volume routes ask of the volume store.
public protocol VolumesBackend: Sendable {
    func create(_ request: VolumeCreateRequest) async throws -> Volume
    /// `filters` has been checked against the keys volumes take.
    func list(filters: Filters) async throws -> VolumeList
    func inspect(_ name: String) async throws -> Volume
    func remove(_ name: String, force: Bool) async throws
    func prune(filters: Filters) async throws -> VolumesPruneReport
}
