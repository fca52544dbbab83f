import BerthCore
import FoundationEssentials

/// The `filters` of `/events`, in either JSON form (`{"type":{"container":true}}` or
/// `{"type":["container"]}`), matched as dockerd matches them.
public struct EventFilter: Sendable, Equatable, Codable {
    public private(set) var filters = Filters()
    private var terms: [String: Set<String>] { filters.terms }

    public static let validKeys: Set<String> = ["container", "daemon", "event", "image", "label", "network", "node",
                                         "plugin", "scope", "service", "secret", "config", "type", "volume"]

    public init() {}

    /// Parses the query parameter; an unknown key or bad JSON is a 400.
    public init(json: String) throws {
        filters = try Filters(json: json, allowed: Self.validKeys)
    }

    public func matches(_ event: Event) -> Bool {
        matchAny("type", event.Type)
            && matchAny("scope", event.scope)
            && (terms["event"].map { $0.contains(event.Action) || $0.contains(Self.actionVerb(event.Action)) } ?? true)
            && matchName("container", for: "container", event)
            && matchName("daemon", for: "daemon", event)
            && matchName("network", for: "network", event)
            && matchName("volume", for: "volume", event)
            && matchImage(event)
            && matchLabels(event)
    }

    /// `exec_create: sh -c …` filters as `exec_create`.
    static func actionVerb(_ action: String) -> String {
        action.firstIndex(of: ":").map { String(action[..<$0]) } ?? action
    }

    private func matchAny(_ key: String, _ value: String) -> Bool {
        terms[key].map { $0.contains(value) } ?? true
    }

    /// dockerd's fuzzy match: the actor's ID (or a prefix of it) or its `name` attribute; an event
    /// of another type never matches.
    private func matchName(_ key: String, for type: String, _ event: Event) -> Bool {
        guard let wanted = terms[key] else { return true }
        guard event.Type == type else { return false }
        let name = event.Actor.Attributes["name"]
        return wanted.contains { event.Actor.ID.hasPrefix($0) || $0 == name }
    }

    private func matchImage(_ event: Event) -> Bool {
        guard let wanted = terms["image"] else { return true }
        var candidates = [event.Actor.Attributes["image"], event.Type == "image" ? event.Actor.ID : nil,
                          event.Type == "image" ? event.Actor.Attributes["name"] : nil].compactMap { $0 }
        candidates += candidates.map { $0.hasSuffix(":latest") ? String($0.dropLast(7)) : $0 + ":latest" }
        return wanted.contains { candidates.contains($0) }
    }

    private func matchLabels(_ event: Event) -> Bool {
        filters.matchesLabels(event.Actor.Attributes)
    }
}
