/// `GET /containers/{name}/json`: Docker's `container.InspectResponse`, the fields the CLI and
/// docker-py read and those users print with `--format`.
public struct ContainerInspect: Codable, Sendable {
    public struct State: Codable, Sendable, Equatable {
        public var Status = "created"
        public var Running = false
        public var Paused = false
        public var Restarting = false
        public var OOMKilled = false
        public var Dead = false
        public var Pid: Int32 = 0
        public var ExitCode: Int32 = 0
        public var Error = ""
        public var StartedAt = ContainerInspect.zeroTime
        public var FinishedAt = ContainerInspect.zeroTime
        public init() {}
    }

    public struct GraphDriver: Codable, Sendable {
        public var Data: [String: String]?
        public var Name: String
        public init(Data: [String: String]?, Name: String) {
            self.Data = Data
            self.Name = Name
        }
    }

    /// What `NetworkSettings` says with no bridge network: no address, no ports.
    public struct NetworkSettings: Codable, Sendable {
        public var Bridge = ""
        public var SandboxID = ""
        public var HairpinMode = false
        public var LinkLocalIPv6Address = ""
        public var LinkLocalIPv6PrefixLen = 0
        public var Ports: [String: String] = [:]
        public var SandboxKey = ""
        public var EndpointID = ""
        public var Gateway = ""
        public var GlobalIPv6Address = ""
        public var GlobalIPv6PrefixLen = 0
        public var IPAddress = ""
        public var IPPrefixLen = 0
        public var IPv6Gateway = ""
        public var MacAddress = ""
        public var Networks: [String: Endpoint] = [:]
        public init() {}
    }

    /// A network the container is on (`none` or `host`): Docker's endpoint settings, empty.
    public struct Endpoint: Codable, Sendable {
        public var NetworkID = ""
        public var EndpointID = ""
        public var Gateway = ""
        public var IPAddress = ""
        public var IPPrefixLen = 0
        public var MacAddress = ""
        public init() {}
    }

    /// Go's zero `time.Time` as Docker prints it.
    public static let zeroTime = "0001-01-01T00:00:00Z"

    public var Id: String
    public var Created: String
    public var Path: String
    public var Args: [String]
    public var State: State
    public var Image: String
    public var ResolvConfPath = ""
    public var HostnamePath = ""
    public var HostsPath = ""
    public var LogPath: String
    public var Name: String
    public var RestartCount: Int
    public var Driver: String
    public var Platform = "linux"
    public var MountLabel = ""
    public var ProcessLabel = ""
    public var AppArmorProfile = ""
    public var ExecIDs: [String]?
    public var HostConfig: HostConfig
    public var GraphDriver: GraphDriver
    public var Mounts: [MountPoint]
    public var Config: ContainerConfig
    public var NetworkSettings: NetworkSettings

    public init(Id: String, Created: String, Path: String, Args: [String], State: State, Image: String, LogPath: String,
                Name: String, RestartCount: Int, Driver: String, HostConfig: HostConfig, GraphDriver: GraphDriver,
                Mounts: [MountPoint], Config: ContainerConfig, NetworkSettings: NetworkSettings) {
        self.Id = Id
        self.Created = Created
        self.Path = Path
        self.Args = Args
        self.State = State
        self.Image = Image
        self.LogPath = LogPath
        self.Name = Name
        self.RestartCount = RestartCount
        self.Driver = Driver
        self.ExecIDs = nil
        self.HostConfig = HostConfig
        self.GraphDriver = GraphDriver
        self.Mounts = Mounts
        self.Config = Config
        self.NetworkSettings = NetworkSettings
    }
}

/// A mount as `docker inspect` and `docker ps` list it: Docker's `container.MountPoint`.
public struct MountPoint: Codable, Sendable, Equatable {
    public var `Type`: String
    public var Name: String?
    public var Source: String
    public var Destination: String
    public var Driver: String?
    public var Mode: String
    public var RW: Bool
    public var Propagation: String

    public init(Type: String, Name: String? = nil, Source: String, Destination: String, Driver: String? = nil, Mode: String,
                RW: Bool, Propagation: String) {
        self.Type = Type
        self.Name = Name
        self.Source = Source
        self.Destination = Destination
        self.Driver = Driver
        self.Mode = Mode
        self.RW = RW
        self.Propagation = Propagation
    }
}
