import BerthCore
#if canImport(Glibc)
import Glibc
#endif

/// A failed system call on a socket, with Go-style text (`listen tcp 127.0.0.1:2375: bind:
/// address already in use`) so messages match dockerd's.
public struct SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(Self.text(for: code))" }

    /// strerror text with a lowercase first letter, as Go prints errno values.
    public static func text(for code: Int32) -> String { errnoText(code) }

    /// The peer went away (reset, broken pipe) rather than something being wrong here.
    public var isDisconnect: Bool { code == ECONNRESET || code == EPIPE || code == ENOTCONN || code == ESHUTDOWN }

    /// The process or the system is out of descriptors or memory for sockets (`EMFILE`, `ENFILE`,
    /// `ENOBUFS`, `ENOMEM`): closing something may help, retrying at once will not.
    public var isResourceShortage: Bool { code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM }

    /// The descriptor was closed under the operation.
    public static let closed = SocketError("socket", code: EBADF)
}
