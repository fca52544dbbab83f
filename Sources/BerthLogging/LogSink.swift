import BerthSync
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where log lines go: standard error, written by a serial Dispatch queue so that no task of the
/// cooperative pool ever blocks in `write(2)`. The minimum level can change at run time.
public final class LogSink: Sendable {
    /// The process-wide sink.
    public static let shared = LogSink(fd: 2)

    /// How lines are written: dockerd's logfmt text, or one JSON object per line.
    public enum Format: String, Sendable {
        case text, json
    }

    private let fd: Int32
    private let minimum: Atomic<Int>
    private let jsonFormat = Atomic<Bool>(false)
    private let queue = DispatchQueue(label: "berth.log")
    private let captured = Locked<[String]?>(nil)

    public init(fd: Int32, level: LogLevel = .info) {
        self.fd = fd
        self.minimum = Atomic(level.rawValue)
    }

    public var level: LogLevel {
        get { LogLevel(rawValue: minimum.load(ordering: .relaxed)) ?? .info }
        set { minimum.store(newValue.rawValue, ordering: .relaxed) }
    }

    public var format: Format {
        get { jsonFormat.load(ordering: .relaxed) ? .json : .text }
        set { jsonFormat.store(newValue == .json, ordering: .relaxed) }
    }

    @inline(__always) public func isEnabled(_ level: LogLevel) -> Bool {
        level.rawValue >= minimum.load(ordering: .relaxed)
    }

    /// Writes a line: dockerd's logfmt (`time="…" level=info msg="…" key=value`) or JSON
    /// (`{"level":"info","msg":"…","time":"…","key":"value"}`).
    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)] = []) {
        var line: String
        if jsonFormat.load(ordering: .relaxed) {
            line = "{\"level\":\"\(level)\",\"msg\":\(Self.jsonQuote(message)),\"time\":\"\(Self.timestamp())\""
            for (key, value) in fields { line += ",\(Self.jsonQuote(key)):\(Self.jsonQuote(value))" }
            line += "}\n"
        } else {
            line = "time=\"\(Self.timestamp())\" level=\(level) msg=\(Self.quote(message))"
            for (key, value) in fields { line += " \(key)=\(Self.quote(value))" }
            line += "\n"
        }
        captured.withLock { $0?.append(line) }
        queue.async { [fd, line] in
            var bytes = Array(line.utf8)[...]
            while !bytes.isEmpty {
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                bytes = bytes.dropFirst(n)
            }
        }
    }

    /// Waits until every line logged so far has been written (at exit).
    public func flush() {
        queue.sync {}
    }

    /// Starts keeping a copy of every line (for tests that assert on logs).
    public func startCapturing() { captured.withLock { $0 = [] } }

    /// The lines kept since `startCapturing`.
    public var capturedLines: [String] { captured.withLock { $0 ?? [] } }

    static func quote(_ s: String) -> String {
        let plain = !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x3D && $0 != 0x5C }
        if plain { return s }
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    static func jsonQuote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(parts.tm_year + 1900)-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(ts.tv_nsec, 9))Z"
    }
}
