/// An event as dockerd's `/events` sends it: `Type`, `Action`, `Actor`, `scope`, `time`,
/// `timeNano`, and for container events the legacy `status`, `id` and `from`.
public struct Event: Sendable, Codable, Equatable {
    public struct Actor: Sendable, Codable, Equatable {
        public var ID: String
        public var Attributes: [String: String]

        public init(ID: String, Attributes: [String: String] = [:]) {
            self.ID = ID
            self.Attributes = Attributes
        }
    }

    public var status: String?
    public var id: String?
    public var from: String?
    public var `Type`: String
    public var Action: String
    public var Actor: Actor
    public var scope: String
    public var time: Int64
    public var timeNano: Int64

    public init(type: String, action: String, actor: Actor, timeNano: Int64, scope: String = "local") {
        self.Type = type
        self.Action = action
        self.Actor = actor
        self.scope = scope
        self.timeNano = timeNano
        self.time = timeNano / 1_000_000_000
        if type == "container" {
            status = action
            id = actor.ID
            from = actor.Attributes["image"]
        }
    }
}
