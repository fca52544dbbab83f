import Foundation

/// A response as a client received it.
public struct TestResponse: Sendable {
    public let version: String
    public let status: Int
    public let reason: String
    /// Header fields in the order received.
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    /// The first value of a header field (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object (nil if it is not one).
    public var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// Docker's error message from a `{"message": …}` body.
    public var errorMessage: String? { jsonObject?["message"] as? String }
}
