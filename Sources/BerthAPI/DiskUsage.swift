/// `GET /system/df`: what images, containers and volumes use.
public struct DiskUsage: Codable, Sendable {
    public var LayersSize = 0
    public var Images: [ImageSummary] = []
    public var Containers: [ContainerSummary] = []
    public var Volumes: [Volume] = []
    public var BuilderSize = 0

    public init() {}

    private enum CodingKeys: String, CodingKey { case LayersSize, Images, Containers, Volumes, BuildCache, BuilderSize }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        LayersSize = try c.decodeIfPresent(Int.self, forKey: .LayersSize) ?? 0
        Images = try c.decodeIfPresent([ImageSummary].self, forKey: .Images) ?? []
        Containers = try c.decodeIfPresent([ContainerSummary].self, forKey: .Containers) ?? []
        Volumes = try c.decodeIfPresent([Volume].self, forKey: .Volumes) ?? []
        BuilderSize = try c.decodeIfPresent(Int.self, forKey: .BuilderSize) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(LayersSize, forKey: .LayersSize)
        try c.encode(Images, forKey: .Images)
        try c.encode(Containers, forKey: .Containers)
        try c.encode(Volumes, forKey: .Volumes)
        try c.encodeNil(forKey: .BuildCache)
        try c.encode(BuilderSize, forKey: .BuilderSize)
    }
}
