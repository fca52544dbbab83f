/// Severity of a log line, with dockerd's names.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case debug = 0, info, warn, error, fatal

    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error": self = .error
        case "fatal", "panic": self = .fatal
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warn: "warning"
        case .error: "error"
        case .fatal: "fatal"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}
