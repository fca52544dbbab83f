import BerthAPI
import BerthContainers
import BerthEngine
import FoundationEssentials

/// The system routes' backend: each call runs the engine job of the same name (`version`,
/// `info`, `events`) and decodes the JSON it writes. Holds the engine weakly: the engine keeps the
/// `serveapi` job, which keeps the service and so this backend.
final class DaemonSystemBackend: SystemBackend {
    private weak let engine: Engine?
    private let images: any ImagesBackend
    private let containers: ContainerService

    init(engine: Engine, images: any ImagesBackend, containers: ContainerService) {
        self.engine = engine
        self.images = images
        self.containers = containers
    }

    func diskUsage() async throws -> DiskUsage {
        var usage = DiskUsage()
        (usage.LayersSize, usage.Images) = try await images.diskUsage()
        let held = try await containers.diskUsage()
        usage.Containers = held.containers
        usage.Volumes = held.volumes
        for index in usage.Images.indices { usage.Images[index].Containers = held.containersByImage[usage.Images[index].Id] ?? 0 }
        return usage
    }

    private func job(_ name: String, env: JobEnvironment = JobEnvironment()) throws -> Job {
        guard let engine else { throw EngineError.shuttingDown }
        return engine.job(name, env: env)
    }

    func version() async throws -> VersionInfo {
        try JSONDecoder().decode(VersionInfo.self, from: Data(try await job("version").output()))
    }

    func info() async throws -> SystemInfo {
        try JSONDecoder().decode(SystemInfo.self, from: Data(try await job("info").output()))
    }

    func events(since: Int64?, until: Int64?, filter: EventFilter,
                _ receive: @escaping @Sendable (Event) async throws -> Void) async throws {
        var env = JobEnvironment()
        if let since { env.set("since", Int(since)) }
        if let until { env.set("until", Int(until)) }
        try env.setJSON("filters", filter)
        let job = try job("events", env: env)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await job.run() }
            let decoder = JSONDecoder()
            for await line in job.stdout { try await receive(try decoder.decode(Event.self, from: Data(line))) }
            try await group.waitForAll()
        }
    }
}
