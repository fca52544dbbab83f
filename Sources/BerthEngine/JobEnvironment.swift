import FoundationEssentials

/// A job's environment: named, typed values.
public struct JobEnvironment: Sendable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case bool(Bool)
        case int(Int)
        case list([String])
        /// Encoded JSON, decoded by the job into its own type.
        case json([UInt8])
    }

    private var values: [String: Value] = [:]

    public init() {}

    public subscript(key: String) -> Value? {
        get { values[key] }
        set { values[key] = newValue }
    }

    public mutating func set(_ key: String, _ value: String) { values[key] = .string(value) }
    public mutating func set(_ key: String, _ value: Bool) { values[key] = .bool(value) }
    public mutating func set(_ key: String, _ value: Int) { values[key] = .int(value) }
    public mutating func set(_ key: String, _ value: [String]) { values[key] = .list(value) }

    /// Stores a value as JSON.
    public mutating func setJSON(_ key: String, _ value: some Encodable) throws {
        values[key] = .json(Array(try JSONEncoder().encode(value)))
    }

    public func string(_ key: String) -> String? {
        if case .string(let s) = values[key] { return s }
        return nil
    }

    public func bool(_ key: String) -> Bool {
        if case .bool(let b) = values[key] { return b }
        return false
    }

    public func int(_ key: String) -> Int? {
        if case .int(let n) = values[key] { return n }
        return nil
    }

    public func list(_ key: String) -> [String] {
        if case .list(let l) = values[key] { return l }
        return []
    }

    /// Decodes a JSON value; nil when the key is absent.
    public func decode<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        guard case .json(let bytes) = values[key] else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    public var keys: [String] { values.keys.sorted() }
}
