/// An entry of `GET /images/json` (and of `/system/df`).
public struct ImageSummary: Codable, Sendable, Equatable {
    public var Containers = -1
    public var Created: Int64 = 0
    public var Id = ""
    public var Labels: [String: String]? = nil
    public var ParentId = ""
    public var RepoDigests: [String]? = nil
    public var RepoTags: [String]? = nil
    public var SharedSize = -1
    public var Size = 0
    public var VirtualSize = 0

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case Containers, Created, Id, Labels, ParentId, RepoDigests, RepoTags, SharedSize, Size, VirtualSize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        Containers = try c.decodeIfPresent(Int.self, forKey: .Containers) ?? -1
        Created = try c.decodeIfPresent(Int64.self, forKey: .Created) ?? 0
        Id = try c.decodeIfPresent(String.self, forKey: .Id) ?? ""
        Labels = try c.decodeIfPresent([String: String].self, forKey: .Labels)
        ParentId = try c.decodeIfPresent(String.self, forKey: .ParentId) ?? ""
        RepoDigests = try c.decodeIfPresent([String].self, forKey: .RepoDigests)
        RepoTags = try c.decodeIfPresent([String].self, forKey: .RepoTags)
        SharedSize = try c.decodeIfPresent(Int.self, forKey: .SharedSize) ?? -1
        Size = try c.decodeIfPresent(Int.self, forKey: .Size) ?? 0
        VirtualSize = try c.decodeIfPresent(Int.self, forKey: .VirtualSize) ?? 0
    }

    /// `null` for the unset lists and maps, as dockerd sends them.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Containers, forKey: .Containers)
        try c.encode(Created, forKey: .Created)
        try c.encode(Id, forKey: .Id)
        try c.encode(Labels, forKey: .Labels)
        try c.encode(ParentId, forKey: .ParentId)
        try c.encode(RepoDigests, forKey: .RepoDigests)
        try c.encode(RepoTags, forKey: .RepoTags)
        try c.encode(SharedSize, forKey: .SharedSize)
        try c.encode(Size, forKey: .Size)
        try c.encode(VirtualSize, forKey: .VirtualSize)
    }
}
