/// One line of `DELETE /images/{name}` (and of a prune report): a tag removed or an image or
/// layer deleted.
public enum ImageDeleteItem: Codable, Sendable, Equatable {
    case untagged(String)
    case deleted(String)

    private enum CodingKeys: String, CodingKey { case Untagged, Deleted }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let name = try c.decodeIfPresent(String.self, forKey: .Untagged) {
            self = .untagged(name)
        } else {
            self = .deleted(try c.decode(String.self, forKey: .Deleted))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .untagged(let name): try c.encode(name, forKey: .Untagged)
        case .deleted(let id): try c.encode(id, forKey: .Deleted)
        }
    }
}

/// `POST /images/prune`.
public struct ImagesPruneReport: Codable, Sendable, Equatable {
    public var ImagesDeleted: [ImageDeleteItem]? = nil
    public var SpaceReclaimed = 0

    public init() {}

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ImagesDeleted, forKey: .ImagesDeleted)
        try c.encode(SpaceReclaimed, forKey: .SpaceReclaimed)
    }
}
