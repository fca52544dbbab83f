import BerthAPI
import BerthCore
import BerthEngine
import BerthImages
import BerthTransport
import FoundationEssentials

/// The engine jobs behind the system endpoints: `version`, `info` and `events`. Each writes its
/// JSON to the job's stdout (an event a line), so it runs the same from HTTP (through
/// `DaemonSystemBackend`) or from a test.
struct SystemJobs: Sendable {
    let configuration: DaemonConfiguration
    let facts: SystemFacts
    let engineID: String
    let events: EventBus
    let counts: @Sendable () async -> ObjectCounts
    /// The image store's driver, once it is open.
    let storage: @Sendable () -> StorageDriver?
    let warnings: [String]
    let settings: LiveSettings

    func register(on engine: Engine) async {
        await engine.register("version") { job in job.stdout.write(try encode(version())) }
        await engine.register("info") { job in job.stdout.write(try encode(await info())) }
        await engine.register("events") { job in try await streamEvents(job) }
    }

    private func encode(_ value: some Encodable) throws -> [UInt8] {
        var bytes = Array(try JSONEncoder.goStyle().encode(value))
        bytes.append(10)
        return bytes
    }

    func version() -> VersionInfo {
        var version = VersionInfo()
        version.Platform = .init(Name: "Berth")
        version.Components = [.init(Name: "Engine", Version: BerthVersion.version, Details: [
            "ApiVersion": DockerAPI.version, "Arch": Self.goArch(facts.architecture), "BuildTime": "",
            "Experimental": "false", "GitCommit": BerthVersion.gitCommit, "GoVersion": BerthVersion.toolchain,
            "KernelVersion": facts.kernelVersion, "MinAPIVersion": DockerAPI.minimumVersion, "Os": "linux",
        ])]
        version.Version = BerthVersion.version
        version.GitCommit = BerthVersion.gitCommit
        version.GoVersion = BerthVersion.toolchain
        version.Arch = Self.goArch(facts.architecture)
        version.KernelVersion = facts.kernelVersion
        return version
    }

    func info() async throws -> SystemInfo {
        let counts = await counts()
        let dataRoot = configuration.dataRoot
        let (descriptors, threads, filesystem) = try await BlockingPool.shared.run {
            (ProcessFacts.openDescriptors(), ProcessFacts.threads(), StorageDriver.backingFilesystem(of: dataRoot))
        }
        let controllers = facts.cgroupControllers
        let v2 = facts.cgroupVersion == "2"
        let environment = ProcessInfo.processInfo.environment
        var info = SystemInfo()
        info.ID = engineID
        info.Containers = counts.containers
        info.ContainersRunning = counts.running
        info.ContainersPaused = counts.paused
        info.ContainersStopped = counts.containers - counts.running - counts.paused
        info.Images = counts.images
        let driver = storage()
        info.Driver = driver?.rawValue ?? ""
        if driver == .overlay2 {
            info.DriverStatus = [["Backing Filesystem", filesystem], ["Supports d_type", "true"],
                                 ["Native Overlay Diff", "true"], ["userxattr", "false"]]
        }
        info.Plugins.Volume = ["local"]
        info.Plugins.Network = ["none"]
        info.Plugins.Log = ["json-file"]
        info.MemoryLimit = !v2 || controllers.contains("memory")
        info.SwapLimit = v2 && controllers.contains("memory")
        info.CpuCfsPeriod = !v2 || controllers.contains("cpu")
        info.CpuCfsQuota = !v2 || controllers.contains("cpu")
        info.CPUShares = !v2 || controllers.contains("cpu")
        info.CPUSet = !v2 || controllers.contains("cpuset")
        info.PidsLimit = !v2 || controllers.contains("pids")
        info.IPv4Forwarding = facts.ipv4Forwarding
        info.Debug = settings.current.debug
        info.NFd = descriptors
        info.NGoroutines = threads
        info.SystemTime = Timestamp.rfc3339(nanoseconds: Timestamp.nowNanoseconds())
        info.LoggingDriver = "json-file"
        info.CgroupDriver = "cgroupfs"
        info.CgroupVersion = facts.cgroupVersion
        info.NEventsListener = await events.listenerCount
        info.KernelVersion = facts.kernelVersion
        info.OperatingSystem = facts.operatingSystem
        info.OSVersion = facts.osVersion
        info.Architecture = facts.architecture
        info.NCPU = facts.cpus
        info.MemTotal = facts.memoryTotal
        info.DockerRootDir = configuration.dataRoot
        info.HttpProxy = environment["HTTP_PROXY"] ?? environment["http_proxy"] ?? ""
        info.HttpsProxy = environment["HTTPS_PROXY"] ?? environment["https_proxy"] ?? ""
        info.NoProxy = environment["NO_PROXY"] ?? environment["no_proxy"] ?? ""
        info.Name = facts.hostname
        info.Labels = settings.current.labels
        info.ServerVersion = BerthVersion.version
        info.Runtimes = ["berth": .init(path: "berthd")]
        info.DefaultRuntime = "berth"
        info.Warnings = warnings.isEmpty ? nil : warnings
        return info
    }

    /// Replays buffered events in [since, until], then streams live ones until `until` (or forever).
    /// `since` and `until` are Unix nanoseconds, `filters` an `EventFilter` as JSON.
    private func streamEvents(_ job: Job) async throws {
        let since = job.env.int("since")
        let until = job.env.int("until")
        let filter = try job.env.decode("filters", as: EventFilter.self) ?? EventFilter()
        let (id, replay, live) = await events.subscribe()
        func emit(_ event: Event) throws {
            if let since, event.timeNano < since { return }
            if let until, event.timeNano > until { return }
            if filter.matches(event) { job.stdout.write(try encode(event)) }
        }
        do {
            // Only a `since` asks for the past; without it the stream starts now, as dockerd's does.
            if since != nil { for event in replay { try emit(event) } }
            if let until {
                let remaining = Int64(until) - Timestamp.nowNanoseconds()
                guard remaining > 0 else {
                    await events.unsubscribe(id)
                    return
                }
                // End the live stream when `until` comes.
                let timer = Task { [events] in
                    try await Task.sleep(for: .nanoseconds(remaining))
                    await events.unsubscribe(id)
                }
                defer { timer.cancel() }
                for await event in live { try emit(event) }
            } else {
                for await event in live { try emit(event) }
            }
            await events.unsubscribe(id)
            try Task.checkCancellation()
        } catch {
            await events.unsubscribe(id)
            throw error
        }
    }

    static func goArch(_ machine: String) -> String {
        switch machine {
        case "x86_64": "amd64"
        case "aarch64": "arm64"
        default: machine
        }
    }
}

/// How many containers and images the backends hold (all zero until they exist).
public struct ObjectCounts: Sendable {
    public var containers = 0, running = 0, paused = 0, images = 0
    public init() {}
}
