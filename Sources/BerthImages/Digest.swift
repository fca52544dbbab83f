import BerthCore

/// A SHA-256 content digest, `sha256:` and 64 lowercase hex digits: an image ID, a layer's diff
/// ID or chain ID, a blob's name.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The 64 hex digits.
    public let hex: String

    /// Parses `sha256:<64 hex>`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard text.hasPrefix("sha256:") else { return nil }
        let hex = text.dropFirst(7)
        guard Self.isHex64(hex) else { return nil }
        self.hex = String(hex)
    }

    /// From 64 hex digits (no prefix); nil if they are not.
    public init?(hex: some StringProtocol) {
        guard Self.isHex64(hex) else { return nil }
        self.hex = String(hex)
    }

    init(bytes: [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        hex = String(decoding: out, as: UTF8.self)
    }

    public var description: String { "sha256:" + hex }

    /// The first 12 hex digits, as `docker images` shows an ID.
    public var short: String { String(hex.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let digest = Digest(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid digest \(text)"))
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static func isHex64(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
