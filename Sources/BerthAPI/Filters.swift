import BerthCore

/// The `filters` query parameter: URL-decoded JSON, in either form the clients send
/// (`{"key":{"value":true}}` or `{"key":["value"]}`; only the inner keys or values count).
public struct Filters: Sendable, Equatable, Codable {
    public private(set) var terms: [String: Set<String>] = [:]

    public init(_ terms: [String: Set<String>] = [:]) {
        self.terms = terms
    }

    /// Parses the parameter, refusing keys not in `allowed` (`Invalid filter 'key'`) and
    /// anything that is not one of the two forms.
    public init(json: String, allowed: Set<String>) throws {
        guard !json.isEmpty else { return }
        let document: JSONValue
        do {
            document = try JSONValue.parse(Array(json.utf8))
        } catch {
            throw APIError.invalidParameter("invalid filters: \(json) is not JSON")
        }
        guard case .object(let object) = document else { throw APIError.invalidParameter("invalid filters: \(json)") }
        for (key, value) in object {
            guard allowed.contains(key) else { throw APIError.invalidParameter("Invalid filter '\(key)'") }
            var values = Set<String>()
            switch value {
            case .object(let map): values = Set(map.keys)
            case .array(let list):
                for item in list {
                    guard case .string(let s) = item else { throw APIError.invalidParameter("invalid filters: \(json)") }
                    values.insert(s)
                }
            default: throw APIError.invalidParameter("invalid filters: \(json)")
            }
            terms[key, default: []].formUnion(values)
        }
    }

    public subscript(key: String) -> Set<String>? { terms[key] }

    public var isEmpty: Bool { terms.isEmpty }

    /// A boolean filter (`dangling`): nil when absent; `true`/`1` or `false`/`0`, else a 400.
    public func bool(_ key: String) throws -> Bool? {
        guard let values = terms[key] else { return nil }
        guard values.count == 1, let value = values.first else { throw APIError.invalidParameter("Invalid filter '\(key)'") }
        switch value.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.invalidParameter("Invalid filter '\(key)=\(value)'")
        }
    }

    /// Whether `labels` satisfy every `label` term (`key` present, or `key=value`).
    public func matchesLabels(_ labels: [String: String]?, key: String = "label") -> Bool {
        guard let wanted = terms[key] else { return true }
        return wanted.allSatisfy { label in
            if let eq = label.firstIndex(of: "=") {
                return labels?[String(label[..<eq])] == String(label[label.index(after: eq)...])
            }
            return labels?[label] != nil
        }
    }
}
