/// JSON text read in one pass, value by value, straight into the caller's own types: no tree,
/// no Codable, no dynamic casts. For documents read on a path where a fresh process's first
/// `JSONDecoder` costs more than the work itself (a runtime's `config.json`, a container init's
/// configuration).
///
/// An object is read as `beginObject()` and then `while let key = try nextKey() { … }`, where the
/// loop's body reads or skips the key's value; an array as `beginArray()` and `while try
/// nextElement() { … }`. A body that forgets to consume a value makes the next call fail with a
/// clear error rather than read the wrong thing. Nesting is limited to 512 levels.
public struct JSONReader {
    @usableFromInline let bytes: [UInt8]
    @usableFromInline var position = 0
    /// True between `beginObject` or `beginArray` and the first `nextKey` or `nextElement`.
    private var atFirst = false
    private var depth = 0
    /// The last key read, named in errors.
    private var lastKey: String?

    static let maximumDepth = 512

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ text: String) {
        self.init(Array(text.utf8))
    }

    /// The kinds of JSON value.
    public enum Kind: String, Sendable {
        case object, array, string, number, bool, null
    }

    /// The kind of the next value, which is not consumed.
    public mutating func peek() throws(JSONError) -> Kind {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of JSON input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case let byte: throw error("invalid character \(Self.describe(byte)) looking for beginning of value")
        }
    }

    // MARK: Objects and arrays

    public mutating func beginObject() throws(JSONError) {
        try open(UInt8(ascii: "{"), kind: .object)
    }

    /// The next member's key, or nil after the object's closing brace.
    public mutating func nextKey() throws(JSONError) -> String? {
        guard try nextItem(closing: UInt8(ascii: "}"), what: "object key:value pair") else { return nil }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw error("expected a string as an object key")
        }
        let key = try readStringLiteral()
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
            throw error("expected ':' after object key")
        }
        position += 1
        lastKey = key
        return key
    }

    public mutating func beginArray() throws(JSONError) {
        try open(UInt8(ascii: "["), kind: .array)
    }

    /// Whether another element follows (to be read next); false after the closing bracket.
    public mutating func nextElement() throws(JSONError) -> Bool {
        try nextItem(closing: UInt8(ascii: "]"), what: "array element")
    }

    private mutating func open(_ bracket: UInt8, kind: Kind) throws(JSONError) {
        let found = try peek()
        guard found == kind else { throw mismatch(expected: kind, found: found) }
        guard depth < Self.maximumDepth else { throw error("exceeded max depth of \(Self.maximumDepth)") }
        position += 1
        depth += 1
        atFirst = true
    }

    /// Moves past the separator before an item; false (and past `closing`) at the end.
    private mutating func nextItem(closing: UInt8, what: String) throws(JSONError) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of JSON input") }
        let byte = bytes[position]
        if byte == closing {
            position += 1
            depth -= 1
            atFirst = false
            return false
        }
        if atFirst {
            atFirst = false
        } else {
            guard byte == UInt8(ascii: ",") else {
                throw error("invalid character \(Self.describe(byte)) after \(what)")
            }
            position += 1
            skipWhitespace()
        }
        return true
    }

    // MARK: Scalars

    /// Consumes a `null` and returns true, or returns false with the next value left unread.
    public mutating func readNull() throws(JSONError) -> Bool {
        guard try peek() == .null else { return false }
        try expectLiteral("null")
        return true
    }

    public mutating func readBool() throws(JSONError) -> Bool {
        let found = try peek()
        guard found == .bool else { throw mismatch(expected: .bool, found: found) }
        if bytes[position] == UInt8(ascii: "t") {
            try expectLiteral("true")
            return true
        }
        try expectLiteral("false")
        return false
    }

    public mutating func readString() throws(JSONError) -> String {
        let found = try peek()
        guard found == .string else { throw mismatch(expected: .string, found: found) }
        return try readStringLiteral()
    }

    /// An integer of type `T`; a fraction, an exponent or a value out of `T`'s range is an error.
    @inlinable
    public mutating func readInteger<T: FixedWidthInteger>(_ type: T.Type = T.self) throws(JSONError) -> T {
        let (negative, magnitude, start) = try readIntegerParts()
        if negative {
            guard T.isSigned, magnitude <= UInt64(T.max) &+ 1 else { throw outOfRange(start, T.self) }
            return magnitude == UInt64(T.max) &+ 1 ? T.min : 0 - T(magnitude)
        }
        guard magnitude <= T.max else { throw outOfRange(start, T.self) }
        return T(magnitude)
    }

    /// Reads and checks a number with no fraction or exponent: its sign and magnitude, and where
    /// it starts.
    @usableFromInline
    mutating func readIntegerParts() throws(JSONError) -> (negative: Bool, magnitude: UInt64, start: Int) {
        let found = try peek()
        guard found == .number else { throw mismatch(expected: .number, found: found) }
        let start = position
        try skipNumber()
        var digits = bytes[start..<position]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        var magnitude: UInt64 = 0
        var overflow = false
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else {
                throw error("cannot read number \(numberText(at: start)) as an integer", at: start)
            }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            overflow = overflow || o1 || o2
            magnitude = sum
        }
        if overflow { throw error("number \(numberText(at: start)) is out of range", at: start) }
        return (negative, magnitude, start)
    }

    @usableFromInline
    func outOfRange<T>(_ start: Int, _ type: T.Type) -> JSONError {
        error("number \(numberText(at: start)) is out of range for \(T.self)", at: start)
    }

    /// The number that starts at `start`, as written.
    private func numberText(at start: Int) -> String {
        var end = start
        while end < bytes.count, !Self.endsValue(bytes[end]) { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// A number as the nearest `Double`; one too large for a `Double` is an error, as with Go's
    /// decoder.
    public mutating func readDouble() throws(JSONError) -> Double {
        let found = try peek()
        guard found == .number else { throw mismatch(expected: .number, found: found) }
        let start = position
        try skipNumber()
        let text = numberText(at: start)
        guard let value = Double(text), value.isFinite else { throw error("number \(text) is out of range", at: start) }
        return value
    }

    // MARK: Optional values and arrays

    /// An array of strings.
    public mutating func readStrings() throws(JSONError) -> [String] {
        var strings: [String] = []
        try beginArray()
        while try nextElement() { strings.append(try readString()) }
        return strings
    }

    /// A string, or nil for `null`.
    public mutating func readOptionalString() throws(JSONError) -> String? {
        try readNull() ? nil : readString()
    }

    /// An array of strings, or nil for `null`.
    public mutating func readOptionalStrings() throws(JSONError) -> [String]? {
        try readNull() ? nil : readStrings()
    }

    /// An integer, or nil for `null`.
    @inlinable
    public mutating func readOptionalInteger<T: FixedWidthInteger>(_ type: T.Type = T.self) throws(JSONError) -> T? {
        try readNull() ? nil : readInteger(T.self)
    }

    /// A Boolean, or nil for `null`.
    public mutating func readOptionalBool() throws(JSONError) -> Bool? {
        try readNull() ? nil : readBool()
    }

    /// An array whose elements `read` reads, or nil for `null`.
    @inlinable
    public mutating func readArray<T>(_ read: (inout JSONReader) throws(JSONError) -> T) throws(JSONError) -> [T]? {
        if try readNull() { return nil }
        var elements: [T] = []
        try beginArray()
        while try nextElement() { elements.append(try read(&self)) }
        return elements
    }

    /// A value of a type that reads itself, or nil for `null`.
    @inlinable
    public mutating func read<T: JSONReadable>(_ type: T.Type = T.self) throws(JSONError) -> T? {
        if try readNull() { return nil }
        return try T(json: &self)
    }

    /// An array of a type that reads itself, or nil for `null`.
    @inlinable
    public mutating func readArray<T: JSONReadable>(of type: T.Type = T.self) throws(JSONError) -> [T]? {
        try readArray { (reader: inout JSONReader) throws(JSONError) in try T(json: &reader) }
    }

    /// An object of strings (`{"net.ipv4.ip_forward": "1"}`), or nil for `null`.
    public mutating func readStringDictionary() throws(JSONError) -> [String: String]? {
        if try readNull() { return nil }
        var dictionary: [String: String] = [:]
        try beginObject()
        while let key = try nextKey() { dictionary[key] = try readString() }
        return dictionary
    }

    // MARK: Skipping and the end

    /// Moves past the next value, whatever it is, checking its syntax.
    public mutating func skipValue() throws(JSONError) {
        switch try peek() {
        case .object:
            try beginObject()
            while try nextKey() != nil { try skipValue() }
        case .array:
            try beginArray()
            while try nextElement() { try skipValue() }
        case .string: _ = try readStringLiteral()
        case .number: try skipNumber()
        case .bool: _ = try readBool()
        case .null: _ = try readNull()
        }
    }

    /// Checks that nothing but white space follows the value read.
    public mutating func finish() throws(JSONError) {
        skipWhitespace()
        guard position == bytes.count else {
            throw error("invalid character \(Self.describe(bytes[position])) after top-level value")
        }
    }

    // MARK: Lexing

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        let matches = position + count <= bytes.count && literal.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[position + $0] == expected[$0] }
        }
        guard matches else { throw error("invalid literal (expected \(literal))") }
        position += count
    }

    /// Moves past a number, checking JSON's grammar: `-`? int frac? exp?.
    private mutating func skipNumber() throws(JSONError) {
        func digits(_ reader: inout JSONReader) -> Int {
            let start = reader.position
            while reader.position < reader.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(reader.bytes[reader.position]) {
                reader.position += 1
            }
            return reader.position - start
        }
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw error("invalid number: no digits") }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { throw error("invalid number: leading zero") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw error("invalid number: no digits after the decimal point") }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw error("invalid number: no digits in the exponent") }
        }
        if position < bytes.count, !Self.endsValue(bytes[position]) {
            position = start
            throw error("invalid number")
        }
    }

    private static func endsValue(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"): true
        default: false
        }
    }

    /// A string literal at `position` (its opening quote), unescaped. Invalid UTF-8 and lone
    /// surrogates become U+FFFD, as Go's decoder makes them.
    private mutating func readStringLiteral() throws(JSONError) -> String {
        let start = position + 1
        var end = start
        // Most strings have no escapes: one scan, one copy.
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                position = end + 1
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("invalid control character in string", at: end) }
            end += 1
        }
        var unescaped = Array(bytes[start..<end])
        position = end
        while true {
            guard position < bytes.count else { throw error("unexpected end of JSON input in a string") }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: unescaped, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try appendEscape(to: &unescaped)
            case 0..<0x20:
                throw error("invalid control character in string", at: position - 1)
            default:
                unescaped.append(byte)
            }
        }
    }

    /// The escape after a backslash at `position`.
    private mutating func appendEscape(to out: inout [UInt8]) throws(JSONError) {
        guard position < bytes.count else { throw error("unexpected end of JSON input in a string") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate counts only with a low one after it.
                let save = position
                if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                    position += 2
                    let low = try readHex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        position = save
                        scalar = 0xFFFD
                    }
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00..<0xE000).contains(scalar) {
                scalar = 0xFFFD
            }
            // Surrogates were handled above, so this is a scalar.
            Unicode.UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}") { out.append($0) }
        default:
            throw error("invalid escape character \(Self.describe(byte)) in string", at: position - 1)
        }
    }

    private mutating func readHex4() throws(JSONError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("unexpected end of JSON input in a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid character \(Self.describe(byte)) in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    // MARK: Errors

    /// The error for a member an object must have.
    public func missing(_ key: String) -> JSONError {
        error("missing \(JSONText.quoted(key))")
    }

    private func mismatch(expected: Kind, found: Kind) -> JSONError {
        error("expected \(Self.article(expected)), found \(Self.article(found))")
    }

    private static func article(_ kind: Kind) -> String {
        kind == .object || kind == .array ? "an \(kind.rawValue)" : "a \(kind.rawValue)"
    }

    /// An error at the current position, for a value that is well-formed JSON but not what the
    /// reader's caller accepts.
    public func error(_ message: String, at offset: Int? = nil) -> JSONError {
        JSONError(message: message, offset: offset ?? position, key: lastKey)
    }

    private static func describe(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
}

/// What is wrong with a JSON document, and where.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    /// Bytes from the start of the document.
    public let offset: Int
    /// The last object key read before the error, if any.
    public let key: String?

    public var description: String {
        let place = key.map { "after key \(JSONText.quoted($0)), offset \(offset)" } ?? "offset \(offset)"
        return "\(message) (\(place))"
    }
}

/// A type that reads itself from JSON with a `JSONReader`.
public protocol JSONReadable {
    init(json: inout JSONReader) throws(JSONError)
}

extension JSONReadable {
    /// The value a whole document holds.
    @inlinable
    public init(jsonDocument bytes: [UInt8]) throws(JSONError) {
        var reader = JSONReader(bytes)
        self = try Self(json: &reader)
        try reader.finish()
    }
}
