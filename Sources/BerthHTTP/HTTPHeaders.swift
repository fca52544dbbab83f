/// Response header fields in the order they are written. Names compare case-insensitively.
///
/// The wire form of the fields (`Name: value` CRLF each) is kept in step with them, so a
/// response built once (a constant, or the daemon's standard fields) costs one copy to write.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)]
    /// The fields as they go on the wire. A CR or LF in a value is written as a space, so no
    /// value can smuggle a line break onto the wire.
    public private(set) var encoded: [UInt8]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
        self.encoded = []
        reencode()
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { (name: $0.0, value: $0.1) })
    }

    public var isEmpty: Bool { fields.isEmpty }

    /// Adds a field, keeping any existing ones of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
        Self.encode(name, value, into: &encoded)
    }

    /// Sets a field, replacing any existing ones of the same name.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Sets a field only when it is not present yet.
    public mutating func setIfAbsent(_ name: String, _ value: String) {
        if !contains(name) { add(name, value) }
    }

    public mutating func remove(_ name: String) {
        guard contains(name) else { return }
        fields.removeAll { Self.same($0.name, name) }
        reencode()
    }

    public func contains(_ name: String) -> Bool { fields.contains { Self.same($0.name, name) } }

    /// Whether any field of `other` is present here.
    public func containsAny(of other: HTTPHeaders) -> Bool {
        other.fields.contains { contains($0.name) }
    }

    public subscript(name: String) -> String? { fields.first { Self.same($0.name, name) }?.value }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    static func same(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        guard a.utf8.count == b.utf8.count else { return false }
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for i in 0..<x.count where ASCII.lower(x[i]) != ASCII.lower(y[i]) { return false }
                return true
            }
        }
    }

    private mutating func reencode() {
        encoded.removeAll(keepingCapacity: true)
        for field in fields { Self.encode(field.name, field.value, into: &encoded) }
    }

    /// Appends `name: value` CRLF, with any CR or LF in the value written as a space.
    static func encode(_ name: String, _ value: String, into out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        out.append(ASCII.colon)
        out.append(ASCII.sp)
        let start = out.count
        out.append(contentsOf: value.utf8)
        for i in start..<out.count where out[i] == 13 || out[i] == 10 { out[i] = ASCII.sp }
        out.append(13)
        out.append(10)
    }
}
