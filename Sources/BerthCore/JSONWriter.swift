/// JSON text written value by value from the caller's own types, compact, strings escaped as
/// Go's encoder escapes them (`JSONText`): the counterpart of `JSONReader`, with the same reason
/// to exist (no Codable on a path where a fresh process pays for its first use).
///
/// Commas come by themselves: `beginObject()`, then `key(_:)` and a value per member, then
/// `endObject()`; `beginArray()`, values, `endArray()`.
public struct JSONWriter {
    /// The text written so far.
    public private(set) var bytes: [UInt8] = []
    /// Whether a value was just completed, so that the next one needs a comma first.
    private var afterValue = false

    public init() {
        bytes.reserveCapacity(1024)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        afterValue = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        afterValue = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        afterValue = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        afterValue = true
    }

    /// A member's key; its value is written next.
    public mutating func key(_ key: String) {
        separate()
        JSONText.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        afterValue = false
    }

    public mutating func string(_ value: String) {
        separate()
        JSONText.appendQuoted(value, to: &bytes)
        afterValue = true
    }

    public mutating func bool(_ value: Bool) {
        literal(value ? "true" : "false")
    }

    public mutating func null() {
        literal("null")
    }

    @inlinable
    public mutating func integer<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            appendInteger(negative: true, magnitude: UInt64(value.magnitude))
        } else {
            appendInteger(negative: false, magnitude: UInt64(value))
        }
    }

    @usableFromInline
    mutating func appendInteger(negative: Bool, magnitude: UInt64) {
        separate()
        if negative { bytes.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
        afterValue = true
    }

    /// Text that is already JSON (a document written elsewhere), as the next value.
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        afterValue = true
    }

    /// A value of a type that writes itself.
    @inlinable
    public mutating func write<T: JSONWritable>(_ value: T) {
        value.write(json: &self)
    }

    /// An array of strings.
    public mutating func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    // MARK: Members that may be absent, as Go's `omitempty` leaves them out

    public mutating func member(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func member(_ name: String, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bool(value)
    }

    @inlinable
    public mutating func member<T: BinaryInteger>(_ name: String, _ value: T?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    public mutating func member(_ name: String, _ values: [String]?) {
        guard let values else { return }
        key(name)
        strings(values)
    }

    @inlinable
    public mutating func member<T: JSONWritable>(_ name: String, _ value: T?) {
        guard let value else { return }
        key(name)
        value.write(json: &self)
    }

    @inlinable
    public mutating func member<T: JSONWritable>(_ name: String, _ values: [T]?) {
        guard let values else { return }
        key(name)
        beginArray()
        for value in values { value.write(json: &self) }
        endArray()
    }

    private mutating func literal(_ text: StaticString) {
        separate()
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        afterValue = true
    }

    @usableFromInline
    mutating func separate() {
        if afterValue { bytes.append(UInt8(ascii: ",")) }
    }
}

/// A type that writes itself as JSON with a `JSONWriter`.
public protocol JSONWritable {
    func write(json: inout JSONWriter)
}

extension JSONWritable {
    /// The value as a whole JSON document.
    @inlinable
    public var jsonDocument: [UInt8] {
        var writer = JSONWriter()
        write(json: &writer)
        return writer.bytes
    }
}
