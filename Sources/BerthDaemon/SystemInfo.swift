/// The body of `GET /info`, with the fields the docker CLI and docker-py read.
struct SystemInfo: Encodable {
    struct Plugins: Encodable {
        var Volume: [String]
        var Network: [String]
        var Authorization: [String]?
        var Log: [String]
    }

    struct IndexConfig: Encodable {
        var Name: String
        var Mirrors: [String]
        var Secure: Bool
        var Official: Bool
    }

    struct RegistryConfig: Encodable {
        var AllowNondistributableArtifactsCIDRs: [String]
        var AllowNondistributableArtifactsHostnames: [String]
        var InsecureRegistryCIDRs: [String]
        var IndexConfigs: [String: IndexConfig]
        var Mirrors: [String]
    }

    struct Runtime: Encodable { var path: String }

    struct Swarm: Encodable {
        var NodeID = ""
        var NodeAddr = ""
        var LocalNodeState = "inactive"
        var ControlAvailable = false
        var Error = ""
        var RemoteManagers: [String]? = nil
    }

    struct Commit: Encodable {
        var ID: String
        var Expected: String
    }

    var ID: String
    var Containers: Int
    var ContainersRunning: Int
    var ContainersPaused: Int
    var ContainersStopped: Int
    var Images: Int
    var Driver: String
    var DriverStatus: [[String]]?
    var Plugins: Plugins
    var MemoryLimit: Bool
    var SwapLimit: Bool
    var KernelMemory: Bool
    var KernelMemoryTCP: Bool
    var CpuCfsPeriod: Bool
    var CpuCfsQuota: Bool
    var CPUShares: Bool
    var CPUSet: Bool
    var PidsLimit: Bool
    var IPv4Forwarding: Bool
    var BridgeNfIptables: Bool
    var BridgeNfIp6tables: Bool
    var Debug: Bool
    var NFd: Int
    var OomKillDisable: Bool
    var NGoroutines: Int
    var SystemTime: String
    var LoggingDriver: String
    var CgroupDriver: String
    var CgroupVersion: String
    var NEventsListener: Int
    var KernelVersion: String
    var OperatingSystem: String
    var OSVersion: String
    var OSType: String
    var Architecture: String
    var IndexServerAddress: String
    var RegistryConfig: RegistryConfig
    var NCPU: Int
    var MemTotal: Int
    var GenericResources: [String]?
    var DockerRootDir: String
    var HttpProxy: String
    var HttpsProxy: String
    var NoProxy: String
    var Name: String
    var Labels: [String]
    var ExperimentalBuild: Bool
    var ServerVersion: String
    var Runtimes: [String: Runtime]
    var DefaultRuntime: String
    var Swarm: Swarm
    var LiveRestoreEnabled: Bool
    var Isolation: String
    var InitBinary: String
    var ContainerdCommit: Commit
    var RuncCommit: Commit
    var InitCommit: Commit
    var SecurityOptions: [String]
    var Warnings: [String]?
}

/// The body of `GET /version`.
struct VersionInfo: Encodable {
    struct Platform: Encodable { var Name: String }
    struct Component: Encodable {
        var Name: String
        var Version: String
        var Details: [String: String]
    }

    var Platform: Platform
    var Components: [Component]
    var Version: String
    var ApiVersion: String
    var MinAPIVersion: String
    var GitCommit: String
    var GoVersion: String
    var Os: String
    var Arch: String
    var KernelVersion: String
    var BuildTime: String
}
