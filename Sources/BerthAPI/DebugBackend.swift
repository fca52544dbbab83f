/// What the debug routes ask of the daemon.
public protocol DebugBackend: Sendable {
    /// Whether debug is on now (it may change on reload); the routes answer only while it is.
    var isEnabled: Bool { get }
    func vars() async throws -> DebugVars
    func runningJobs() async -> [DebugJob]
    func connections() -> [DebugConnection]
}
