/// A handle for logging from one part of the daemon. Cheap to copy; writes through a `LogSink`.
public struct Logger: Sendable {
    public let sink: LogSink

    public init(sink: LogSink = .shared) {
        self.sink = sink
    }

    @inline(__always) public func isEnabled(_ level: LogLevel) -> Bool { sink.isEnabled(level) }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ fields: [(String, String)] = []) {
        guard sink.isEnabled(level) else { return }
        sink.log(level, message(), fields)
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: [(String, String)] = []) { log(.debug, message(), fields) }
    public func info(_ message: @autoclosure () -> String, _ fields: [(String, String)] = []) { log(.info, message(), fields) }
    public func warning(_ message: @autoclosure () -> String, _ fields: [(String, String)] = []) { log(.warn, message(), fields) }
    public func error(_ message: @autoclosure () -> String, _ fields: [(String, String)] = []) { log(.error, message(), fields) }
}
