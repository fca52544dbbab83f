import BerthCore

/// A container that could not be created, started or signalled. Init's own failures arrive as
/// text (`exec: "nosuch": executable file not found in $PATH`) that the docker CLI maps to its
/// exit codes: 127 when the command is missing, 126 when it may not run, 125 otherwise.
public struct RuntimeError: KindedError, CustomStringConvertible, Equatable {
    public let kind: ErrorKind
    public let message: String

    public var description: String { message }

    public init(kind: ErrorKind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// A configuration that cannot work (a missing root, an unknown capability, a bad mount).
    public static func invalid(_ message: String) -> RuntimeError { RuntimeError(kind: .invalidParameter, message: message) }

    /// A system call that failed: `<operation>: <errno text>`.
    public static func system(_ operation: String, _ code: Int32) -> RuntimeError {
        RuntimeError(kind: .system, message: "\(operation): \(errnoText(code))")
    }

    /// The init process said something that makes no sense.
    static func protocolViolation(_ message: String) -> RuntimeError { RuntimeError(kind: .system, message: message) }

    /// The exit status the docker CLI gives a container that failed to start with this message.
    public var cliExitCode: Int32 {
        if message.contains("executable file not found") || message.contains("no such file or directory") { return 127 }
        if message.contains("permission denied") { return 126 }
        return 125
    }
}
