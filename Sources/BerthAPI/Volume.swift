/// A volume as `docker volume inspect` and `docker volume ls` show it: Docker's `volume.Volume`.
public struct Volume: Codable, Sendable, Equatable {
    public struct UsageData: Codable, Sendable, Equatable {
        public var RefCount: Int
        public var Size: Int64
        public init(RefCount: Int, Size: Int64) {
            self.RefCount = RefCount
            self.Size = Size
        }
    }

    public var CreatedAt: String
    public var Driver: String
    public var Labels: [String: String]?
    public var Mountpoint: String
    public var Name: String
    public var Options: [String: String]?
    public var Scope: String
    public var UsageData: UsageData?

    public init(CreatedAt: String, Driver: String, Labels: [String: String]?, Mountpoint: String, Name: String,
                Options: [String: String]?, Scope: String = "local", UsageData: UsageData? = nil) {
        self.CreatedAt = CreatedAt
        self.Driver = Driver
        self.Labels = Labels
        self.Mountpoint = Mountpoint
        self.Name = Name
        self.Options = Options
        self.Scope = Scope
        self.UsageData = UsageData
    }
}

/// `POST /volumes/create`'s body.
public struct VolumeCreateRequest: Codable, Sendable {
    public var Name: String?
    public var Driver: String?
    public var DriverOpts: [String: String]?
    public var Labels: [String: String]?
}

/// `GET /volumes`' answer.
public struct VolumeList: Codable, Sendable {
    public var Volumes: [Volume]
    public var Warnings: [String]?

    public init(Volumes: [Volume], Warnings: [String]? = nil) {
        self.Volumes = Volumes
        self.Warnings = Warnings
    }
}

/// `POST /volumes/prune`'s answer.
public struct VolumesPruneReport: Codable, Sendable {
    public var VolumesDeleted: [String]?
    public var SpaceReclaimed: Int64

    public init(VolumesDeleted: [String]?, SpaceReclaimed: Int64) {
        self.VolumesDeleted = VolumesDeleted
        self.SpaceReclaimed = SpaceReclaimed
    }
}
