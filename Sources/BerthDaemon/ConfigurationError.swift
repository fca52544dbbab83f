import BerthTransport
import FoundationEssentials

/// A configuration problem that stops the daemon before it starts; the message is printed as is
/// and the process exits 1.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// The system's reason for a failed file operation, as Go prints it (`no such file or
    /// directory`); Foundation's file errors carry the `errno` as their underlying error.
    static func reason(of error: any Error) -> String {
        if let code = errorNumber(of: error) { return SocketError.text(for: code) }
        return "\(error)"
    }

    /// The `errno` behind a Foundation file error, if it has one.
    static func errorNumber(of error: any Error) -> Int32? {
        if let posix = error as? POSIXError { return posix.code.rawValue }
        if let cocoa = error as? CocoaError, let posix = cocoa.underlying as? POSIXError { return posix.code.rawValue }
        return nil
    }
}
