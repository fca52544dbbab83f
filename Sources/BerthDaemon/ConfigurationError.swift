/// A configuration problem that stops the daemon before it starts; the message is printed as is
/// and the process exits 1.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
