/// A parsed, validated request line and header block.
public struct RequestHead: Sendable {
    public let method: HTTPMethod
    /// The request target exactly as sent (origin form or absolute form).
    public let target: String
    public let version: HTTPVersion
    public let headers: RequestHeaders
    /// How the body that follows is delimited.
    public let framing: BodyFraming
    /// The client sent `Expect: 100-continue`.
    public let expectsContinue: Bool
    /// The `Connection` header carried `close`.
    public let connectionClose: Bool
    /// The `Connection` header carried `keep-alive`.
    public let connectionKeepAlive: Bool
    /// The `Connection` header carried `upgrade` and an `Upgrade` header was present.
    public let wantsUpgrade: Bool

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: RequestHeaders = RequestHeaders([]),
                framing: BodyFraming = .none, expectsContinue: Bool = false, connectionClose: Bool = false,
                connectionKeepAlive: Bool = false, wantsUpgrade: Bool = false) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.expectsContinue = expectsContinue
        self.connectionClose = connectionClose
        self.connectionKeepAlive = connectionKeepAlive
        self.wantsUpgrade = wantsUpgrade
    }

    /// Whether the client allows the connection to stay open after this exchange:
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if connectionClose { return false }
        return version == .http1_1 || connectionKeepAlive
    }
}
