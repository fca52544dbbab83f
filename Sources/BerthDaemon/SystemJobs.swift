import BerthCore
import BerthEngine
import BerthTransport
import FoundationEssentials

/// The engine jobs behind the system endpoints: `version`, `info` and `events`. Each writes its
/// JSON to the job's stdout, so it runs the same from HTTP or from a test.
struct SystemJobs: Sendable {
    let configuration: DaemonConfiguration
    let facts: SystemFacts
    let engineID: String
    let events: EventBus
    let counts: @Sendable () async -> ObjectCounts
    let warnings: [String]
    let settings: LiveSettings

    func register(on engine: Engine) async {
        await engine.register("version") { job in job.stdout.write(try encode(version())) }
        await engine.register("info") { job in job.stdout.write(try encode(await info())) }
        await engine.register("events") { job in try await streamEvents(job) }
    }

    private func encode(_ value: some Encodable) throws -> [UInt8] {
        var bytes = Array(try JSONEncoder().encode(value))
        bytes.append(10)
        return bytes
    }

    func version() -> VersionInfo {
        let details = [
            "ApiVersion": BerthVersion.apiVersion, "Arch": Self.goArch(facts.architecture), "BuildTime": "",
            "Experimental": "false", "GitCommit": BerthVersion.gitCommit, "GoVersion": BerthVersion.toolchain,
            "KernelVersion": facts.kernelVersion, "MinAPIVersion": BerthVersion.minimumAPIVersion, "Os": "linux",
        ]
        return VersionInfo(
            Platform: .init(Name: "Berth"),
            Components: [.init(Name: "Engine", Version: BerthVersion.version, Details: details)],
            Version: BerthVersion.version, ApiVersion: BerthVersion.apiVersion, MinAPIVersion: BerthVersion.minimumAPIVersion,
            GitCommit: BerthVersion.gitCommit, GoVersion: BerthVersion.toolchain, Os: "linux",
            Arch: Self.goArch(facts.architecture), KernelVersion: facts.kernelVersion, BuildTime: "")
    }

    func info() async throws -> SystemInfo {
        let counts = await counts()
        let (descriptors, threads) = try await BlockingWork.run { (ProcessFacts.openDescriptors(), ProcessFacts.threads()) }
        let controllers = facts.cgroupControllers
        let v2 = facts.cgroupVersion == "2"
        let environment = ProcessInfo.processInfo.environment
        return SystemInfo(
            ID: engineID, Containers: counts.containers, ContainersRunning: counts.running, ContainersPaused: counts.paused,
            ContainersStopped: counts.containers - counts.running - counts.paused, Images: counts.images,
            Driver: "vfs", DriverStatus: nil,
            Plugins: .init(Volume: [], Network: ["none"], Authorization: nil, Log: ["json-file"]),
            MemoryLimit: !v2 || controllers.contains("memory"), SwapLimit: v2 && controllers.contains("memory"),
            KernelMemory: false, KernelMemoryTCP: false,
            CpuCfsPeriod: !v2 || controllers.contains("cpu"), CpuCfsQuota: !v2 || controllers.contains("cpu"),
            CPUShares: !v2 || controllers.contains("cpu"), CPUSet: !v2 || controllers.contains("cpuset"),
            PidsLimit: !v2 || controllers.contains("pids"), IPv4Forwarding: facts.ipv4Forwarding,
            BridgeNfIptables: false, BridgeNfIp6tables: false, Debug: settings.current.debug, NFd: descriptors,
            OomKillDisable: false, NGoroutines: threads, SystemTime: Timestamp.rfc3339(nanoseconds: Timestamp.nowNanoseconds()),
            LoggingDriver: "json-file", CgroupDriver: "cgroupfs", CgroupVersion: facts.cgroupVersion,
            NEventsListener: await events.listenerCount, KernelVersion: facts.kernelVersion,
            OperatingSystem: facts.operatingSystem, OSVersion: facts.osVersion, OSType: "linux", Architecture: facts.architecture,
            IndexServerAddress: "https://index.docker.io/v1/",
            RegistryConfig: .init(AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [],
                                  InsecureRegistryCIDRs: ["127.0.0.0/8"],
                                  IndexConfigs: ["docker.io": .init(Name: "docker.io", Mirrors: [], Secure: true, Official: true)],
                                  Mirrors: []),
            NCPU: facts.cpus, MemTotal: facts.memoryTotal, GenericResources: nil, DockerRootDir: configuration.dataRoot,
            HttpProxy: environment["HTTP_PROXY"] ?? environment["http_proxy"] ?? "",
            HttpsProxy: environment["HTTPS_PROXY"] ?? environment["https_proxy"] ?? "",
            NoProxy: environment["NO_PROXY"] ?? environment["no_proxy"] ?? "",
            Name: facts.hostname, Labels: settings.current.labels, ExperimentalBuild: false, ServerVersion: BerthVersion.version,
            Runtimes: ["berth": .init(path: "berthd")], DefaultRuntime: "berth", Swarm: .init(), LiveRestoreEnabled: false,
            Isolation: "", InitBinary: "", ContainerdCommit: .init(ID: "", Expected: ""), RuncCommit: .init(ID: "", Expected: ""),
            InitCommit: .init(ID: "", Expected: ""), SecurityOptions: [], Warnings: warnings.isEmpty ? nil : warnings)
    }

    /// Replays buffered events in [since, until], then streams live ones until `until` (or forever).
    /// The handler has validated `since`, `until` and `filters` already.
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
