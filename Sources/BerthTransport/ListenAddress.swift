import BerthCore
/// Where a listener binds, written as dockerd's `-H` values: `tcp://host:port`,
/// `unix:///path`, `fd://` or `fd://N`.
public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)
    /// systemd socket activation: every passed socket (nil) or only descriptor N.
    case fd(Int?)

    /// The port a `tcp://` address without one binds.
    public static let defaultTCPPort = 2375
    /// The host a `tcp://:port` address binds (dockerd's `DefaultHTTPHost`).
    public static let defaultTCPHost = "localhost"

    /// Parses a `-H` value. Errors carry dockerd's `Invalid bind address format: X`.
    public init(parsing text: String, defaultTCPPort: Int = ListenAddress.defaultTCPPort) throws(ListenAddressError) {
        let value = text.trimmingWhitespace
        let invalid = ListenAddressError(text: text)
        let scheme: Substring, rest: Substring
        if let separator = value.firstRange(of: "://") {
            scheme = value[..<separator.lowerBound]
            rest = value[separator.upperBound...]
        } else if !value.isEmpty {
            scheme = "tcp"
            rest = value[...]
        } else {
            throw invalid
        }
        switch scheme {
        case "unix":
            guard rest.hasPrefix("/"), !rest.contains("\0") else { throw invalid }
            self = .unix(path: String(rest))
        case "fd":
            if rest.isEmpty { self = .fd(nil) }
            else if let n = Int(rest), n >= 0 { self = .fd(n) }
            else { throw invalid }
        case "tcp":
            guard !rest.contains("/"), !rest.contains("?"), !rest.contains("#"), !rest.contains("@") else { throw invalid }
            var host: Substring, port: Substring?
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { throw invalid }
                host = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                if after.isEmpty { port = nil }
                else if after.hasPrefix(":") { port = after.dropFirst() }
                else { throw invalid }
                guard host.contains(":") else { throw invalid }
            } else if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                port = rest[rest.index(after: colon)...]
                if host.contains(":") { throw invalid }
            } else {
                host = rest
                port = nil
            }
            let portNumber: Int
            if let port, !port.isEmpty {
                guard port.allSatisfy(\.isASCII), let n = Int(port), (0...65535).contains(n) else { throw invalid }
                portNumber = n
            } else {
                portNumber = defaultTCPPort
            }
            if host.isEmpty { host = Substring(Self.defaultTCPHost) }
            self = .tcp(host: String(host), port: portNumber)
        default:
            throw invalid
        }
    }

    /// The canonical `-H` spelling.
    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        case .unix(let path): "unix://\(path)"
        case .fd(let n): n.map { "fd://\($0)" } ?? "fd://"
        }
    }
}

/// A `-H` value that is not a valid address.
public struct ListenAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public init(text: String) { self.text = text }
    public var description: String { "Invalid bind address format: \(text)" }
}
