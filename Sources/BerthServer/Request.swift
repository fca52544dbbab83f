import BerthHTTP

/// A request as handlers see it: the parsed head, the decoded path, the query and the body.
public struct Request: Sendable {
    public let head: RequestHead
    /// The percent-decoded path, including any `/v1.41` prefix.
    public let path: String
    public let query: QueryParameters
    public let body: RequestBody

    public init(head: RequestHead, path: String, query: QueryParameters, body: RequestBody = .empty) {
        self.head = head
        self.path = path
        self.query = query
        self.body = body
    }

    public var method: HTTPMethod { head.method }
    public var headers: RequestHeaders { head.headers }
}
