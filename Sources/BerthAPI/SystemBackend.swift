/// What the system routes ask of the daemon.
public protocol SystemBackend: Sendable {
    /// `GET /version`.
    func version() async throws -> VersionInfo
    /// `GET /info`.
    func info() async throws -> SystemInfo
    /// `GET /system/df`.
    func diskUsage() async throws -> DiskUsage
    /// `GET /events`: passes `receive` every event published in [`since`, `until`] (Unix
    /// nanoseconds) that `filter` matches, the buffered ones first when `since` is given, then
    /// live ones; returns once `until` has passed, and runs until cancelled without it.
    func events(since: Int64?, until: Int64?, filter: EventFilter,
                _ receive: @escaping @Sendable (Event) async throws -> Void) async throws
}
