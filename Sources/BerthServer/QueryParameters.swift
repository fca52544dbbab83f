import BerthCore

/// The query string of a request, decoded on demand. A repeated name is a list of values, as Go's
/// `url.Values` reads it.
public struct QueryParameters: Sendable {
    public let raw: Substring

    public init(_ raw: Substring = "") {
        self.raw = raw
    }

    /// Every name/value pair in order, `+` read as a space and percent-escapes decoded.
    public var pairs: [(name: String, value: String)] {
        raw.split(separator: "&").map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decode(parts[0], plusAsSpace: true) ?? String(parts[0])
            let value = parts.count > 1 ? (PercentDecoding.decode(parts[1], plusAsSpace: true) ?? String(parts[1])) : ""
            return (name, value)
        }
    }

    /// The first value for `name`, or nil.
    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// All values for `name`.
    public func values(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// Docker's boolean: absent, "", 0, false, no and none are false (any case); anything else is true.
    public func bool(_ name: String) -> Bool {
        guard let value = self[name] else { return false }
        return !["", "0", "false", "no", "none"].contains(value.lowercased())
    }

    /// A decimal integer, or nil when absent; a 400 when it is not a number.
    public func int(_ name: String) throws -> Int? {
        guard let value = self[name], !value.isEmpty else { return nil }
        guard let n = Int(value) else {
            throw APIError.invalidParameter("strconv.Atoi: parsing \(GoQuoted.quoted(value)): invalid syntax")
        }
        return n
    }
}
