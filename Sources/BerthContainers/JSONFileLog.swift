import BerthAPI
import BerthCore
import BerthSync
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

/// A container's log in dockerd's json-file format: one `{"log":…,"stream":…,"time":…}` line per
/// line of output, in `<id>-json.log`, rotated to `.1`, `.2`, … when it passes `max-size`, keeping
/// `max-file` files. Writes go to the blocking pool; readers following the log are woken after
/// each write, and when a run of the container ends.
final class JSONFileLog: Sendable {
    /// One line (or piece of a long line) of output.
    struct Entry: Sendable {
        let stream: OutputStream
        let bytes: [UInt8]
        /// Unix nanoseconds.
        let time: Int64
    }

    private struct State {
        var fd: Int32 = -1
        var size: Int64 = 0
        /// How many times the log has rotated since it was opened.
        var generation = 0
        /// Bumped on every write and at the end of a run: what followers wait for.
        var version: UInt64 = 0
        /// Whether a run of the container is writing (followers stop once it is not).
        var running = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    let path: String
    /// Bytes per file before it rotates; 0 for no limit.
    let maxSize: Int64
    /// Files kept (the current one included).
    let maxFiles: Int
    private let state = Locked(State())

    init(path: String, maxSize: Int64 = 0, maxFiles: Int = 1) {
        self.path = path
        self.maxSize = maxSize
        self.maxFiles = max(1, maxFiles)
    }

    /// The `LogConfig` options json-file takes: `max-size` (`10m`, `1g`, …) and `max-file`.
    static func options(_ config: [String: String]) throws -> (maxSize: Int64, maxFiles: Int) {
        var maxSize: Int64 = 0
        var maxFiles = 1
        for (key, value) in config {
            switch key {
            case "max-size":
                guard let size = parseSize(value), size >= 0 else { throw APIError.invalidParameter("invalid max-size: \(value)") }
                maxSize = size
            case "max-file":
                guard let files = Int(value), files >= 1 else {
                    throw APIError.invalidParameter("max-file cannot be less than 1")
                }
                maxFiles = files
            case "compress", "labels", "env", "env-regex", "tag":
                guard value.isEmpty || value == "false" else {
                    throw APIError.invalidParameter("berthd does not support the json-file log option \(key) yet")
                }
            default:
                throw APIError.invalidParameter("unknown log opt '\(key)' for json-file log driver")
            }
        }
        if maxFiles > 1, maxSize == 0 { throw APIError.invalidParameter("max-file cannot be set without max-size") }
        return (maxSize, maxFiles)
    }

    /// `10k`, `10m`, `1g` (powers of 1024, as Docker's `units.RAMInBytes`), or bytes.
    static func parseSize(_ text: String) -> Int64? {
        var digits = text.lowercased()
        if digits.hasSuffix("b") { digits.removeLast() }
        let multiplier: Int64
        switch digits.last {
        case "k": multiplier = 1 << 10
        case "m": multiplier = 1 << 20
        case "g": multiplier = 1 << 30
        default: multiplier = 1
        }
        if multiplier > 1 { digits.removeLast() }
        return Int64(digits).map { $0 * multiplier }
    }

    // MARK: Writing

    /// Marks a run of the container as writing: followers wait for its output.
    func beginRun() {
        state.withLock { $0.running = true }
    }

    /// The run has written its last line: followers read what is left and stop.
    func endRun() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.running = false
            s.version &+= 1
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Appends entries, on the blocking pool. The log rotates between lines, never inside one.
    func append(_ entries: [Entry]) async throws {
        guard !entries.isEmpty else { return }
        var encoded: [UInt8] = []
        var ends: [Int] = []
        for entry in entries {
            Self.encode(entry, into: &encoded)
            ends.append(encoded.count)
        }
        let lines = encoded, lineEnds = ends
        let waiters = try await BlockingPool.shared.run { [self] in
            try state.withLock { s throws(FileError) -> [CheckedContinuation<Void, Never>] in
                try write(lines, lineEnds: lineEnds, &s)
                s.version &+= 1
                defer { s.waiters = [:] }
                return Array(s.waiters.values)
            }
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Closes the file (the container is removed, or the daemon stops).
    func close() {
        state.withLock { s in
            if s.fd >= 0 { Glibc.close(s.fd) }
            s.fd = -1
        }
    }

    /// `{"log":"hi\n","stream":"stdout","time":"2026-…Z"}` and a newline.
    static func encode(_ entry: Entry, into out: inout [UInt8]) {
        out += Array(#"{"log":"#.utf8)
        JSONText.appendQuoted(String(decoding: entry.bytes, as: UTF8.self), to: &out)
        out += Array(entry.stream == .stderr ? #","stream":"stderr","time":""#.utf8 : #","stream":"stdout","time":""#.utf8)
        Timestamp.appendRFC3339Nano(nanoseconds: entry.time, to: &out)
        out += Array("\"}\n".utf8)
    }

    /// Writes `bytes` (lines ending at `lineEnds`), as few writes as rotation allows.
    private func write(_ bytes: [UInt8], lineEnds: [Int], _ s: inout State) throws(FileError) {
        if s.fd < 0 { try open(&s) }
        var start = 0, lineStart = 0
        for end in lineEnds {
            let unwritten = Int64(lineStart - start)
            // A file holding something rotates before a line that would take it past max-size.
            if maxSize > 0, s.size + unwritten > 0, s.size + unwritten + Int64(end - lineStart) > maxSize {
                try writeAll(bytes[start..<lineStart], &s)
                start = lineStart
                try rotate(&s)
            }
            lineStart = end
        }
        try writeAll(bytes[start..<lineStart], &s)
    }

    private func writeAll(_ bytes: ArraySlice<UInt8>, _ s: inout State) throws(FileError) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(s.fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw FileError("write", path, code: errno) }
            offset += n
        }
        s.size += Int64(bytes.count)
    }

    private func open(_ s: inout State) throws(FileError) {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw FileError("open", path, code: errno) }
        var info = stat()
        s.size = fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
        s.fd = fd
    }

    /// `<log>` becomes `<log>.1`, `.1` becomes `.2`, …; the oldest beyond `max-file` goes.
    private func rotate(_ s: inout State) throws(FileError) {
        Glibc.close(s.fd)
        s.fd = -1
        if maxFiles == 1 {
            unlink(path)
        } else {
            unlink("\(path).\(maxFiles - 1)")
            if maxFiles > 2 {
                for index in stride(from: maxFiles - 2, through: 1, by: -1) { rename("\(path).\(index)", "\(path).\(index + 1)") }
            }
            rename(path, path + ".1")
        }
        s.generation += 1
        try open(&s)
    }

    // MARK: Following

    /// Where the log stands: its rotation count, its version, whether a run writes it.
    var position: (generation: Int, version: UInt64, running: Bool) {
        state.withLock { ($0.generation, $0.version, $0.running) }
    }

    /// Returns once the log changed after `version` (a write, or the end of a run), or the task
    /// is cancelled.
    func waitForChange(after version: UInt64) async {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.version != version || Task.isCancelled { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// The files in order, oldest first: `<log>.N` … `<log>.1`, `<log>`.
    var files: [String] {
        (1..<maxFiles).reversed().map { "\(path).\($0)" } + [path]
    }
}
