/// The body of `GET /info`, with the fields the docker CLI and docker-py read. Every field has a
/// neutral default; the system backend fills in what it knows.
public struct SystemInfo: Codable, Sendable, Equatable {
    public struct Plugins: Codable, Sendable, Equatable {
        public var Volume: [String] = []
        public var Network: [String] = []
        public var Authorization: [String]? = nil
        public var Log: [String] = []
        public init() {}
    }

    public struct IndexConfig: Codable, Sendable, Equatable {
        public var Name: String
        public var Mirrors: [String]
        public var Secure: Bool
        public var Official: Bool
        public init(Name: String, Mirrors: [String], Secure: Bool, Official: Bool) {
            self.Name = Name
            self.Mirrors = Mirrors
            self.Secure = Secure
            self.Official = Official
        }
    }

    public struct RegistryConfig: Codable, Sendable, Equatable {
        public var AllowNondistributableArtifactsCIDRs: [String] = []
        public var AllowNondistributableArtifactsHostnames: [String] = []
        public var InsecureRegistryCIDRs: [String] = ["127.0.0.0/8"]
        public var IndexConfigs: [String: IndexConfig] = [
            "docker.io": IndexConfig(Name: "docker.io", Mirrors: [], Secure: true, Official: true),
        ]
        public var Mirrors: [String] = []
        public init() {}
    }

    public struct Runtime: Codable, Sendable, Equatable {
        public var path: String
        public init(path: String) { self.path = path }
    }

    public struct Swarm: Codable, Sendable, Equatable {
        public var NodeID = ""
        public var NodeAddr = ""
        public var LocalNodeState = "inactive"
        public var ControlAvailable = false
        public var Error = ""
        public var RemoteManagers: [String]? = nil
        public init() {}
    }

    public struct Commit: Codable, Sendable, Equatable {
        public var ID = ""
        public var Expected = ""
        public init() {}
    }

    public var ID = ""
    public var Containers = 0
    public var ContainersRunning = 0
    public var ContainersPaused = 0
    public var ContainersStopped = 0
    public var Images = 0
    public var Driver = ""
    public var DriverStatus: [[String]]? = nil
    public var Plugins = Plugins()
    public var MemoryLimit = false
    public var SwapLimit = false
    public var KernelMemory = false
    public var KernelMemoryTCP = false
    public var CpuCfsPeriod = false
    public var CpuCfsQuota = false
    public var CPUShares = false
    public var CPUSet = false
    public var PidsLimit = false
    public var IPv4Forwarding = false
    public var BridgeNfIptables = false
    public var BridgeNfIp6tables = false
    public var Debug = false
    public var NFd = 0
    public var OomKillDisable = false
    public var NGoroutines = 0
    public var SystemTime = ""
    public var LoggingDriver = ""
    public var CgroupDriver = ""
    public var CgroupVersion = ""
    public var NEventsListener = 0
    public var KernelVersion = ""
    public var OperatingSystem = ""
    public var OSVersion = ""
    public var OSType = "linux"
    public var Architecture = ""
    public var IndexServerAddress = "https://index.docker.io/v1/"
    public var RegistryConfig = RegistryConfig()
    public var NCPU = 0
    public var MemTotal = 0
    public var GenericResources: [String]? = nil
    public var DockerRootDir = ""
    public var HttpProxy = ""
    public var HttpsProxy = ""
    public var NoProxy = ""
    public var Name = ""
    public var Labels: [String] = []
    public var ExperimentalBuild = false
    public var ServerVersion = ""
    public var Runtimes: [String: Runtime] = [:]
    public var DefaultRuntime = ""
    public var Swarm = Swarm()
    public var LiveRestoreEnabled = false
    public var Isolation = ""
    public var InitBinary = ""
    public var ContainerdCommit = Commit()
    public var RuncCommit = Commit()
    public var InitCommit = Commit()
    public var SecurityOptions: [String] = []
    public var Warnings: [String]? = nil

    public init() {}
}
