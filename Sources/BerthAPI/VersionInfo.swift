/// The body of `GET /version`.
public struct VersionInfo: Codable, Sendable, Equatable {
    public struct Platform: Codable, Sendable, Equatable {
        public var Name: String
        public init(Name: String) { self.Name = Name }
    }

    public struct Component: Codable, Sendable, Equatable {
        public var Name: String
        public var Version: String
        public var Details: [String: String]
        public init(Name: String, Version: String, Details: [String: String]) {
            self.Name = Name
            self.Version = Version
            self.Details = Details
        }
    }

    public var Platform = Platform(Name: "")
    public var Components: [Component] = []
    public var Version = ""
    public var ApiVersion = DockerAPI.version
    public var MinAPIVersion = DockerAPI.minimumVersion
    public var GitCommit = ""
    public var GoVersion = ""
    public var Os = "linux"
    public var Arch = ""
    public var KernelVersion = ""
    public var BuildTime = ""

    public init() {}
}
