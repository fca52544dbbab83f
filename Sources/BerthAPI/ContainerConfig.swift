/// The configuration of a container as an image carries it (`Config`, `ContainerConfig`) and as
/// `POST /containers/create` sends it: Docker's `container.Config`. Encoded as Go encodes it:
/// unset lists and maps are `null`, and the `omitempty` fields are left out when empty.
public struct ContainerConfig: Codable, Sendable, Equatable {
    /// `{}`: the value of the `Volumes` and `ExposedPorts` maps.
    public struct Empty: Codable, Sendable, Equatable {
        public init() {}
    }

    public var Hostname = ""
    public var Domainname = ""
    public var User = ""
    public var AttachStdin = false
    public var AttachStdout = false
    public var AttachStderr = false
    public var ExposedPorts: [String: Empty]? = nil
    public var Tty = false
    public var OpenStdin = false
    public var StdinOnce = false
    public var Env: [String]? = nil
    public var Cmd: [String]? = nil
    public var ArgsEscaped: Bool? = nil
    public var Image = ""
    public var Volumes: [String: Empty]? = nil
    public var WorkingDir = ""
    public var Entrypoint: [String]? = nil
    public var NetworkDisabled: Bool? = nil
    public var MacAddress: String? = nil
    public var OnBuild: [String]? = nil
    public var Labels: [String: String]? = nil
    public var StopSignal: String? = nil
    public var StopTimeout: Int? = nil
    public var Shell: [String]? = nil

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case Hostname, Domainname, User, AttachStdin, AttachStdout, AttachStderr, ExposedPorts, Tty, OpenStdin
        case StdinOnce, Env, Cmd, ArgsEscaped, Image, Volumes, WorkingDir, Entrypoint, NetworkDisabled, MacAddress
        case OnBuild, Labels, StopSignal, StopTimeout, Shell
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        Hostname = try c.decodeIfPresent(String.self, forKey: .Hostname) ?? ""
        Domainname = try c.decodeIfPresent(String.self, forKey: .Domainname) ?? ""
        User = try c.decodeIfPresent(String.self, forKey: .User) ?? ""
        AttachStdin = try c.decodeIfPresent(Bool.self, forKey: .AttachStdin) ?? false
        AttachStdout = try c.decodeIfPresent(Bool.self, forKey: .AttachStdout) ?? false
        AttachStderr = try c.decodeIfPresent(Bool.self, forKey: .AttachStderr) ?? false
        ExposedPorts = try c.decodeIfPresent([String: Empty].self, forKey: .ExposedPorts)
        Tty = try c.decodeIfPresent(Bool.self, forKey: .Tty) ?? false
        OpenStdin = try c.decodeIfPresent(Bool.self, forKey: .OpenStdin) ?? false
        StdinOnce = try c.decodeIfPresent(Bool.self, forKey: .StdinOnce) ?? false
        Env = try c.decodeIfPresent([String].self, forKey: .Env)
        Cmd = try Self.decodeStrings(c, .Cmd)
        ArgsEscaped = try c.decodeIfPresent(Bool.self, forKey: .ArgsEscaped)
        Image = try c.decodeIfPresent(String.self, forKey: .Image) ?? ""
        Volumes = try c.decodeIfPresent([String: Empty].self, forKey: .Volumes)
        WorkingDir = try c.decodeIfPresent(String.self, forKey: .WorkingDir) ?? ""
        Entrypoint = try Self.decodeStrings(c, .Entrypoint)
        NetworkDisabled = try c.decodeIfPresent(Bool.self, forKey: .NetworkDisabled)
        MacAddress = try c.decodeIfPresent(String.self, forKey: .MacAddress)
        OnBuild = try c.decodeIfPresent([String].self, forKey: .OnBuild)
        Labels = try c.decodeIfPresent([String: String].self, forKey: .Labels)
        StopSignal = try c.decodeIfPresent(String.self, forKey: .StopSignal)
        StopTimeout = try c.decodeIfPresent(Int.self, forKey: .StopTimeout)
        Shell = try c.decodeIfPresent([String].self, forKey: .Shell)
    }

    /// `Cmd` and `Entrypoint` may be a list or, as Docker's `StrSlice` allows, one string.
    private static func decodeStrings(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [String]? {
        if let list = try? c.decodeIfPresent([String].self, forKey: key) { return list }
        return try c.decodeIfPresent(String.self, forKey: key).map { [$0] }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Hostname, forKey: .Hostname)
        try c.encode(Domainname, forKey: .Domainname)
        try c.encode(User, forKey: .User)
        try c.encode(AttachStdin, forKey: .AttachStdin)
        try c.encode(AttachStdout, forKey: .AttachStdout)
        try c.encode(AttachStderr, forKey: .AttachStderr)
        if let ExposedPorts, !ExposedPorts.isEmpty { try c.encode(ExposedPorts, forKey: .ExposedPorts) }
        try c.encode(Tty, forKey: .Tty)
        try c.encode(OpenStdin, forKey: .OpenStdin)
        try c.encode(StdinOnce, forKey: .StdinOnce)
        try c.encode(Env, forKey: .Env)
        try c.encode(Cmd, forKey: .Cmd)
        if ArgsEscaped == true { try c.encode(true, forKey: .ArgsEscaped) }
        try c.encode(Image, forKey: .Image)
        try c.encode(Volumes, forKey: .Volumes)
        try c.encode(WorkingDir, forKey: .WorkingDir)
        try c.encode(Entrypoint, forKey: .Entrypoint)
        if NetworkDisabled == true { try c.encode(true, forKey: .NetworkDisabled) }
        if let MacAddress, !MacAddress.isEmpty { try c.encode(MacAddress, forKey: .MacAddress) }
        try c.encode(OnBuild, forKey: .OnBuild)
        try c.encode(Labels, forKey: .Labels)
        if let StopSignal, !StopSignal.isEmpty { try c.encode(StopSignal, forKey: .StopSignal) }
        if let StopTimeout { try c.encode(StopTimeout, forKey: .StopTimeout) }
        if let Shell, !Shell.isEmpty { try c.encode(Shell, forKey: .Shell) }
    }
}
