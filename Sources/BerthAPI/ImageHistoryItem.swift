/// An entry of `GET /images/{name}/history`, newest first.
public struct ImageHistoryItem: Codable, Sendable, Equatable {
    public var Comment = ""
    public var Created: Int64 = 0
    public var CreatedBy = ""
    /// The image's ID on the entry of its top layer, `<missing>` on the others.
    public var Id = "<missing>"
    public var Size = 0
    public var Tags: [String]? = nil

    public init() {}

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Comment, forKey: .Comment)
        try c.encode(Created, forKey: .Created)
        try c.encode(CreatedBy, forKey: .CreatedBy)
        try c.encode(Id, forKey: .Id)
        try c.encode(Size, forKey: .Size)
        try c.encode(Tags, forKey: .Tags)
    }
}
