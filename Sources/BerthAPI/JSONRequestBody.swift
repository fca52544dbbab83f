import BerthCore
import BerthServer
import FoundationEssentials

extension Request {
    /// The body decoded as JSON, checked as dockerd checks it: the `Content-Type` must be
    /// `application/json` (parameters allowed, any case), or the answer is a 400
    /// `Content-Type specified (<type>) must be 'application/json'` (empty parentheses when the
    /// field is missing). An empty body is a 400 `EOF`, as Go's decoder says; unknown fields are
    /// ignored.
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self, limit: Int = 4 << 20) async throws -> T {
        try Self.decode(T.self, from: try await jsonBody(limit: limit))
    }

    /// The body's bytes, with `decodeJSON`'s checks of its type and emptiness.
    public func jsonBody(limit: Int = 4 << 20) async throws -> [UInt8] {
        let contentType = headers["content-type"] ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let trimmed = mediaType.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        guard String(trimmed).lowercased() == "application/json" else {
            throw APIError.invalidParameter("Content-Type specified (\(contentType)) must be 'application/json'")
        }
        let bytes = try await body.collect(upTo: limit)
        guard !bytes.isEmpty else { throw APIError.invalidParameter("EOF") }
        return bytes
    }

    /// Decodes JSON bytes; a body that does not fit `T` is a 400 that says why.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw APIError.invalidParameter("invalid JSON body: \(Self.describe(error))")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")) must be \(type)"
        case .keyNotFound(let key, _): "\(key.stringValue) is missing"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "\(error)"
        }
    }
}
