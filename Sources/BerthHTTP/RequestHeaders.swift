/// The header fields of a parsed request: one copy of the raw head and the offsets of each field,
/// so parsing allocates nothing per header. Names compare case-insensitively.
public struct RequestHeaders: Sendable, Sequence {
    struct Field: Sendable {
        var nameStart: Int32, nameEnd: Int32, valueStart: Int32, valueEnd: Int32
    }

    let bytes: [UInt8]
    let fields: [Field]

    init(bytes: [UInt8], fields: [Field]) {
        self.bytes = bytes
        self.fields = fields
    }

    /// Builds headers from name/value pairs (for tests and synthetic requests).
    public init(_ pairs: [(String, String)]) {
        var bytes: [UInt8] = []
        var fields: [Field] = []
        for (name, value) in pairs {
            let ns = Int32(bytes.count)
            bytes.append(contentsOf: name.utf8)
            let ne = Int32(bytes.count)
            bytes.append(contentsOf: value.utf8)
            fields.append(Field(nameStart: ns, nameEnd: ne, valueStart: ne, valueEnd: Int32(bytes.count)))
        }
        self.init(bytes: bytes, fields: fields)
    }

    public var count: Int { fields.count }

    /// The first value of the named field, or nil.
    public subscript(name: String) -> String? {
        guard let index = firstIndex(of: name) else { return nil }
        return value(at: index)
    }

    /// Every value of the named field, in order.
    public func values(_ name: String) -> [String] {
        fields.indices.filter { matches(fields[$0], name) }.map { value(at: $0) }
    }

    public func contains(_ name: String) -> Bool { firstIndex(of: name) != nil }

    public func makeIterator() -> AnyIterator<(name: String, value: String)> {
        var i = 0
        return AnyIterator {
            guard i < fields.count else { return nil }
            defer { i += 1 }
            let f = fields[i]
            return (String(decoding: bytes[Int(f.nameStart)..<Int(f.nameEnd)], as: UTF8.self), value(at: i))
        }
    }

    private func value(at index: Int) -> String {
        let f = fields[index]
        return String(decoding: bytes[Int(f.valueStart)..<Int(f.valueEnd)], as: UTF8.self)
    }

    private func firstIndex(of name: String) -> Int? {
        fields.indices.first { matches(fields[$0], name) }
    }

    private func matches(_ field: Field, _ name: String) -> Bool {
        let utf8 = name.utf8
        guard Int(field.nameEnd - field.nameStart) == utf8.count else { return false }
        var i = Int(field.nameStart)
        for c in utf8 {
            if ASCII.lower(bytes[i]) != ASCII.lower(c) { return false }
            i += 1
        }
        return true
    }
}
