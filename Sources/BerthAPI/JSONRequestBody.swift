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
        let contentType = headers["content-type"] ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let trimmed = mediaType.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        guard String(trimmed).lowercased() == "application/json" else {
            throw APIError.invalidParameter("Content-Type specified (\(contentType)) must be 'application/json'")
        }
        let bytes = try await body.collect(upTo: limit)
        guard !bytes.isEmpty else { throw APIError.invalidParameter("EOF") }
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    }
}
