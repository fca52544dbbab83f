/// The two HTTP versions Berth speaks.
public enum HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    case http1_0, http1_1

    public var description: String { self == .http1_0 ? "HTTP/1.0" : "HTTP/1.1" }
}
