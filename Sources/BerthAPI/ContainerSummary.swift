/// One entry of `GET /containers/json` (`docker ps`): Docker's `container.Summary`.
public struct ContainerSummary: Codable, Sendable {
    public struct HostConfigSummary: Codable, Sendable {
        public var NetworkMode: String
    }

    public struct NetworkSummary: Codable, Sendable {
        public var Networks: [String: ContainerInspect.Endpoint]
    }

    public var Id: String
    public var Names: [String]
    public var Image: String
    public var ImageID: String
    /// The command as a shell would read it: `sh -c 'echo hi'`.
    public var Command: String
    /// Unix seconds.
    public var Created: Int64
    public var Ports: [String] = []
    public var Labels: [String: String]
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var State: String
    /// What `docker ps` prints: `Up 3 seconds`, `Exited (0) 2 minutes ago`, `Created`.
    public var Status: String
    public var HostConfig: HostConfigSummary
    public var NetworkSettings: NetworkSummary
    public var Mounts: [MountPoint]
    public var SizeRw: Int64?
    public var SizeRootFs: Int64?

    public init(Id: String, Names: [String], Image: String, ImageID: String, Command: String, Created: Int64,
                Labels: [String: String], State: String, Status: String, NetworkMode: String, Mounts: [MountPoint]) {
        self.Id = Id
        self.Names = Names
        self.Image = Image
        self.ImageID = ImageID
        self.Command = Command
        self.Created = Created
        self.Labels = Labels
        self.State = State
        self.Status = Status
        self.HostConfig = HostConfigSummary(NetworkMode: NetworkMode)
        self.NetworkSettings = NetworkSummary(Networks: [:])
        self.Mounts = Mounts
    }
}

/// `POST /containers/create`'s answer.
public struct ContainerCreateResponse: Codable, Sendable {
    public var Id: String
    public var Warnings: [String]

    public init(Id: String, Warnings: [String] = []) {
        self.Id = Id
        self.Warnings = Warnings
    }
}

/// `POST /containers/prune`'s answer.
public struct ContainersPruneReport: Codable, Sendable {
    public var ContainersDeleted: [String]?
    public var SpaceReclaimed: Int64

    public init(ContainersDeleted: [String]?, SpaceReclaimed: Int64) {
        self.ContainersDeleted = ContainersDeleted
        self.SpaceReclaimed = SpaceReclaimed
    }
}

/// `GET /containers/{name}/top`'s answer.
public struct ContainerTop: Codable, Sendable {
    public var Titles: [String]
    public var Processes: [[String]]

    public init(Titles: [String], Processes: [[String]]) {
        self.Titles = Titles
        self.Processes = Processes
    }
}

/// One entry of `GET /containers/{name}/changes` (`docker diff`): 0 changed, 1 added, 2 deleted.
public struct ContainerChange: Codable, Sendable, Equatable {
    public var Kind: Int
    public var Path: String

    public init(Kind: Int, Path: String) {
        self.Kind = Kind
        self.Path = Path
    }
}
