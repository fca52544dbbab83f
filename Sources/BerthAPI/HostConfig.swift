import BerthCore

/// The part of `POST /containers/create`'s `HostConfig` berthd acts on: Docker's
/// `container.HostConfig`, with its field names. Every other field must be absent or zero
/// (`HostConfig.unsupportedField` names the first one that is not), so nothing a user asked
/// for is silently ignored.
public struct HostConfig: Codable, Sendable, Equatable {
    public struct Restart: Codable, Sendable, Equatable {
        public var Name = ""
        public var MaximumRetryCount = 0
        public init(Name: String = "", MaximumRetryCount: Int = 0) {
            self.Name = Name
            self.MaximumRetryCount = MaximumRetryCount
        }
    }

    public struct Logging: Codable, Sendable, Equatable {
        public var `Type` = ""
        public var Config: [String: String]? = [:]
        public init(Type: String = "", Config: [String: String]? = [:]) {
            self.Type = Type
            self.Config = Config
        }
    }

    public struct Ulimit: Codable, Sendable, Equatable {
        public var Name: String
        public var Soft: Int64
        public var Hard: Int64
    }

    /// One of `Mounts` (`--mount`): a bind, a volume or a tmpfs.
    public struct Mount: Codable, Sendable, Equatable {
        public struct TmpfsOptions: Codable, Sendable, Equatable {
            public var SizeBytes: Int64?
            public var Mode: UInt32?
        }
        public struct VolumeOptions: Codable, Sendable, Equatable {
            public var NoCopy: Bool?
        }
        public var `Type`: String
        public var Source: String?
        public var Target: String
        public var ReadOnly: Bool?
        public var TmpfsOptions: TmpfsOptions?
        public var VolumeOptions: VolumeOptions?
    }

    public var AutoRemove = false
    public var RestartPolicy = Restart()
    public var Binds: [String]? = nil
    public var Mounts: [Mount]? = nil
    public var Tmpfs: [String: String]? = nil
    public var Memory: Int64 = 0
    public var MemorySwap: Int64 = 0
    public var NanoCpus: Int64 = 0
    public var CpuShares: Int64 = 0
    public var CpuQuota: Int64 = 0
    public var CpuPeriod: Int64 = 0
    public var CpusetCpus = ""
    public var PidsLimit: Int64? = nil
    public var Privileged = false
    public var CapAdd: [String]? = nil
    public var CapDrop: [String]? = nil
    public var SecurityOpt: [String]? = nil
    public var ReadonlyRootfs = false
    public var Init: Bool? = nil
    public var Sysctls: [String: String]? = nil
    public var Ulimits: [Ulimit]? = nil
    public var ShmSize: Int64 = 0
    public var NetworkMode = ""
    public var LogConfig = Logging()
    public var ConsoleSize: [Int]? = nil
    /// Filled in at create, as dockerd reports them.
    public var IpcMode = ""
    public var PidMode = ""
    public var CgroupnsMode = ""
    public var Runtime = ""
    public var MaskedPaths: [String]? = nil
    public var ReadonlyPaths: [String]? = nil

    public init() {}

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case AutoRemove, RestartPolicy, Binds, Mounts, Tmpfs, Memory, MemorySwap, NanoCpus, CpuShares, CpuQuota, CpuPeriod
        case CpusetCpus, PidsLimit, Privileged, CapAdd, CapDrop, SecurityOpt, ReadonlyRootfs, Init, Sysctls, Ulimits, ShmSize
        case NetworkMode, LogConfig, ConsoleSize, IpcMode, PidMode, CgroupnsMode, Runtime, MaskedPaths, ReadonlyPaths
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        AutoRemove = try c.decodeIfPresent(Bool.self, forKey: .AutoRemove) ?? false
        self.RestartPolicy = try c.decodeIfPresent(Restart.self, forKey: .RestartPolicy) ?? .init()
        Binds = try c.decodeIfPresent([String].self, forKey: .Binds)
        Mounts = try c.decodeIfPresent([Mount].self, forKey: .Mounts)
        Tmpfs = try c.decodeIfPresent([String: String].self, forKey: .Tmpfs)
        Memory = try c.decodeIfPresent(Int64.self, forKey: .Memory) ?? 0
        MemorySwap = try c.decodeIfPresent(Int64.self, forKey: .MemorySwap) ?? 0
        NanoCpus = try c.decodeIfPresent(Int64.self, forKey: .NanoCpus) ?? 0
        CpuShares = try c.decodeIfPresent(Int64.self, forKey: .CpuShares) ?? 0
        CpuQuota = try c.decodeIfPresent(Int64.self, forKey: .CpuQuota) ?? 0
        CpuPeriod = try c.decodeIfPresent(Int64.self, forKey: .CpuPeriod) ?? 0
        CpusetCpus = try c.decodeIfPresent(String.self, forKey: .CpusetCpus) ?? ""
        PidsLimit = try c.decodeIfPresent(Int64.self, forKey: .PidsLimit)
        Privileged = try c.decodeIfPresent(Bool.self, forKey: .Privileged) ?? false
        CapAdd = try c.decodeIfPresent([String].self, forKey: .CapAdd)
        CapDrop = try c.decodeIfPresent([String].self, forKey: .CapDrop)
        SecurityOpt = try c.decodeIfPresent([String].self, forKey: .SecurityOpt)
        ReadonlyRootfs = try c.decodeIfPresent(Bool.self, forKey: .ReadonlyRootfs) ?? false
        Init = try c.decodeIfPresent(Bool.self, forKey: .Init)
        Sysctls = try c.decodeIfPresent([String: String].self, forKey: .Sysctls)
        Ulimits = try c.decodeIfPresent([Ulimit].self, forKey: .Ulimits)
        ShmSize = try c.decodeIfPresent(Int64.self, forKey: .ShmSize) ?? 0
        NetworkMode = try c.decodeIfPresent(String.self, forKey: .NetworkMode) ?? ""
        self.LogConfig = try c.decodeIfPresent(Logging.self, forKey: .LogConfig) ?? .init()
        ConsoleSize = try c.decodeIfPresent([Int].self, forKey: .ConsoleSize)
        IpcMode = try c.decodeIfPresent(String.self, forKey: .IpcMode) ?? ""
        PidMode = try c.decodeIfPresent(String.self, forKey: .PidMode) ?? ""
        CgroupnsMode = try c.decodeIfPresent(String.self, forKey: .CgroupnsMode) ?? ""
        Runtime = try c.decodeIfPresent(String.self, forKey: .Runtime) ?? ""
        MaskedPaths = try c.decodeIfPresent([String].self, forKey: .MaskedPaths)
        ReadonlyPaths = try c.decodeIfPresent([String].self, forKey: .ReadonlyPaths)
    }

    /// The fields berthd reads, by their JSON names.
    public static let supportedFields = Set(CodingKeys.allCases.map(\.rawValue))

    /// Fields berthd reads only for one value: anything else there is unsupported.
    private static let accepted: [String: Set<String>] = [
        "IpcMode": ["", "private", "shareable"], "PidMode": [""], "CgroupnsMode": ["", "host"], "Runtime": ["", "runc", "berth"],
    ]

    /// The first field of a create request's `HostConfig` (as sent) that asks for something
    /// berthd does not do: a field it does not read holding a non-zero value (`PortBindings`
    /// with a port, `Dns` with a server), or a mode it reads only partly (`PidMode: host`).
    public static func unsupportedField(in hostConfig: [String: JSONValue]) -> String? {
        for key in hostConfig.keys.sorted() {
            let value = hostConfig[key] ?? .null
            if let allowed = accepted[key] {
                if case .string(let text) = value, allowed.contains(text) { continue }
                if value == .null { continue }
                return key
            }
            if supportedFields.contains(key) { continue }
            if key == "MemorySwappiness", value == .number(-1) { continue }  // the CLI's "unset"
            if !value.isZero { return key }
        }
        return nil
    }
}

/// `POST /containers/{name}/update`'s body: the resources `docker update` changes, and the
/// restart policy.
public struct ContainerUpdate: Codable, Sendable {
    public var Memory: Int64?
    public var MemorySwap: Int64?
    public var NanoCpus: Int64?
    public var CpuShares: Int64?
    public var CpuQuota: Int64?
    public var CpuPeriod: Int64?
    public var CpusetCpus: String?
    public var PidsLimit: Int64?
    public var RestartPolicy: HostConfig.Restart?

    /// The fields berthd changes; any other field set to a non-zero value is refused.
    public static let supportedFields: Set<String> = ["Memory", "MemorySwap", "NanoCpus", "CpuShares", "CpuQuota", "CpuPeriod",
                                                      "CpusetCpus", "PidsLimit", "RestartPolicy"]
}

extension JSONValue {
    /// Whether this is Go's zero value or an empty collection: what a client sends for a field
    /// the user did not set.
    public var isZero: Bool {
        switch self {
        case .null: true
        case .bool(let value): !value
        case .number(let value): value == 0
        case .string(let value): value.isEmpty
        case .array(let values): values.isEmpty
        case .object(let members): members.values.allSatisfy(\.isZero)
        }
    }
}
