import BerthCore
import BerthSync
import Synchronization

/// Where log lines go: a descriptor (standard error for the daemon), written by a `LogWriter` on
/// a thread of its own, so logging never waits for `write(2)` and never blocks the reactor or a
/// thread of the cooperative pool. Lines that would overflow the writer's buffer are dropped and
/// counted (`droppedLines`). The minimum level and the format can change at run time.
public final class LogSink: Sendable {
    /// The process-wide sink, on standard error.
    public static let shared = LogSink(fd: 2)

    /// How lines are written: dockerd's logfmt text, or one JSON object per line.
    public enum Format: String, Sendable {
        case text, json
    }

    /// Bytes of lines that may wait for the descriptor before new ones are dropped.
    public static let defaultCapacity = 256 * 1024

    /// The level and format, in a box of their own so that the writer's drop notice can read the
    /// format too.
    private final class Settings: Sendable {
        let minimum: Atomic<Int>
        let json = Atomic<Bool>(false)
        init(_ level: LogLevel) { minimum = Atomic(level.rawValue) }
    }

    private let settings: Settings
    /// Nil for a sink that discards (a negative descriptor).
    private let writer: LogWriter?
    private let captured = Locked<[String]?>(nil)

    /// A sink writing to `fd`; a negative `fd` discards every line.
    public init(fd: Int32, level: LogLevel = .info, capacity: Int = LogSink.defaultCapacity) {
        let settings = Settings(level)
        self.settings = settings
        writer = fd < 0 ? nil : LogWriter(fd: fd, capacity: capacity) { dropped in
            Self.format(.warn, "dropped \(dropped) log lines: the log's reader was not keeping up", [],
                        json: settings.json.load(ordering: .relaxed))
        }
    }

    public var level: LogLevel {
        get { LogLevel(rawValue: settings.minimum.load(ordering: .relaxed)) ?? .info }
        set { settings.minimum.store(newValue.rawValue, ordering: .relaxed) }
    }

    public var format: Format {
        get { settings.json.load(ordering: .relaxed) ? .json : .text }
        set { settings.json.store(newValue == .json, ordering: .relaxed) }
    }

    @inline(__always) public func isEnabled(_ level: LogLevel) -> Bool {
        level.rawValue >= settings.minimum.load(ordering: .relaxed)
    }

    /// Writes a line: dockerd's logfmt (`time="…" level=info msg="…" key=value`) or JSON
    /// (`{"level":"info","msg":"…","time":"…","key":"value"}`).
    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)] = []) {
        let line = Self.format(level, message, fields, json: settings.json.load(ordering: .relaxed))
        captured.withLock { $0?.append(String(decoding: line, as: UTF8.self)) }
        writer?.enqueue(line)
    }

    /// Lines dropped because the descriptor did not keep up (`berth_log_lines_dropped_total`).
    public var droppedLines: Int { writer?.droppedLines ?? 0 }

    /// Waits, at most `timeout`, until every line logged so far has been written (at exit).
    /// Blocks the calling thread: never call it from a task.
    public func flush(timeout: Duration = .seconds(2)) {
        writer?.flush(timeout: timeout)
    }

    /// Starts keeping a copy of every line (for tests that assert on logs).
    public func startCapturing() { captured.withLock { $0 = [] } }

    /// The lines kept since `startCapturing`.
    public var capturedLines: [String] { captured.withLock { $0 ?? [] } }

    static func format(_ level: LogLevel, _ message: String, _ fields: [(String, String)], json: Bool) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(96 + message.utf8.count + fields.count * 24)
        let now = Timestamp.nowNanoseconds()
        if json {
            line.append(contentsOf: #"{"level":""#.utf8)
            line.append(contentsOf: level.description.utf8)
            line.append(contentsOf: #"","msg":"#.utf8)
            JSONText.appendQuoted(message, to: &line)
            line.append(contentsOf: #","time":""#.utf8)
            Timestamp.appendRFC3339(nanoseconds: now, to: &line)
            line.append(UInt8(ascii: "\""))
            for (key, value) in fields {
                line.append(UInt8(ascii: ","))
                JSONText.appendQuoted(key, to: &line)
                line.append(UInt8(ascii: ":"))
                JSONText.appendQuoted(value, to: &line)
            }
            line.append(contentsOf: "}\n".utf8)
        } else {
            line.append(contentsOf: #"time=""#.utf8)
            Timestamp.appendRFC3339(nanoseconds: now, to: &line)
            line.append(contentsOf: #"" level="#.utf8)
            line.append(contentsOf: level.description.utf8)
            line.append(contentsOf: " msg=".utf8)
            appendLogfmtValue(message, to: &line)
            for (key, value) in fields {
                line.append(UInt8(ascii: " "))
                line.append(contentsOf: key.utf8)
                line.append(UInt8(ascii: "="))
                appendLogfmtValue(value, to: &line)
            }
            line.append(UInt8(ascii: "\n"))
        }
        return line
    }

    /// A logfmt value as logrus writes it: bare when it is printable ASCII without quotes, `=` or
    /// backslashes, otherwise quoted as Go's `%q` does.
    private static func appendLogfmtValue(_ value: String, to line: inout [UInt8]) {
        let bare = !value.isEmpty && value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x3D && $0 != 0x5C }
        if bare { line.append(contentsOf: value.utf8) } else { GoQuoted.append(value, to: &line) }
    }
}
