/// A parsed JSON document of unknown shape: `daemon.json` read with dockerd's type checks, the
/// `filters` query parameter.
public enum JSONValue: Decodable, JSONReadable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let n = try? container.decode(Double.self) { self = .number(n) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public init(json reader: inout JSONReader) throws(JSONError) {
        switch try reader.peek() {
        case .null:
            _ = try reader.readNull()
            self = .null
        case .bool: self = .bool(try reader.readBool())
        case .number: self = .number(try reader.readDouble())
        case .string: self = .string(try reader.readString())
        case .array:
            var elements: [JSONValue] = []
            try reader.beginArray()
            while try reader.nextElement() { elements.append(try JSONValue(json: &reader)) }
            self = .array(elements)
        case .object:
            var members: [String: JSONValue] = [:]
            try reader.beginObject()
            while let key = try reader.nextKey() { members[key] = try JSONValue(json: &reader) }
            self = .object(members)
        }
    }

    /// The JSON type name as Go's decoder reports it (`string`, `number`, `bool`, …).
    public var goTypeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The value of a whole document.
    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        try JSONValue(jsonDocument: bytes)
    }
}
