/// `GET /images/{name}/json`: every field the docker CLI and docker-py read.
public struct ImageInspect: Codable, Sendable, Equatable {
    public struct GraphDriver: Codable, Sendable, Equatable {
        public var Data: [String: String]?
        public var Name: String
        public init(Data: [String: String]?, Name: String) {
            self.Data = Data
            self.Name = Name
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(Data, forKey: .Data)
            try c.encode(Name, forKey: .Name)
        }
    }

    public struct RootFS: Codable, Sendable, Equatable {
        public var `Type` = "layers"
        public var Layers: [String] = []
        public init(Layers: [String]) { self.Layers = Layers }
    }

    public struct Metadata: Codable, Sendable, Equatable {
        public var LastTagTime: String
        public init(LastTagTime: String) { self.LastTagTime = LastTagTime }
    }

    public var Id = ""
    public var RepoTags: [String] = []
    public var RepoDigests: [String] = []
    public var Parent = ""
    public var Comment = ""
    public var Created = ""
    public var Container = ""
    public var ContainerConfig = BerthAPI.ContainerConfig()
    public var DockerVersion = ""
    public var Author = ""
    public var Config: BerthAPI.ContainerConfig? = nil
    public var Architecture = ""
    public var Variant: String? = nil
    public var Os = ""
    public var OsVersion: String? = nil
    public var Size = 0
    public var VirtualSize = 0
    public var GraphDriver = GraphDriver(Data: nil, Name: "")
    public var RootFS = RootFS(Layers: [])
    public var Metadata = Metadata(LastTagTime: "0001-01-01T00:00:00Z")

    public init() {}
}
