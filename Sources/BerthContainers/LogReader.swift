import BerthAPI
import BerthCore
import BerthTransport
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Reads a container's json-file log for `docker logs`: the entries of the chosen streams within
/// `since`/`until`, the last `tail` of them, with timestamps if asked, then, with `follow`, new
/// entries as they are written until the container's run ends.
struct LogReader: Sendable {
    let log: JSONFileLog
    let options: LogsOptions

    func run(_ output: OutputSink) async throws {
        let start = log.position
        var (entries, cursor) = try await BlockingPool.shared.run { [log] in try Self.readAll(log) }
        defer { cursor.close() }
        if let tail = options.tail { entries = Array(entries.filter(wanted).suffix(tail)) }
        for entry in entries where wanted(entry) {
            if let until = options.until, entry.time > until { return }
            try await send(entry, output)
        }
        guard options.follow, start.running else { return }
        var seen = start
        while true {
            await log.waitForChange(after: seen.version)
            try Task.checkCancellation()
            // Read after taking the position: what a run wrote before it ended is read now.
            seen = log.position
            let rotated = seen.generation != cursor.generation
            let generation = seen.generation
            let (fresh, next) = try await BlockingPool.shared.run { [log, cursor] in
                var moving = cursor
                var read = try moving.readNew()
                if rotated {
                    moving.close()
                    moving = try Cursor.open(log.path, generation: generation)
                    read += try moving.readNew()
                }
                return (read, moving)
            }
            cursor = next
            for entry in fresh where wanted(entry) {
                if let until = options.until, entry.time > until { return }
                try await send(entry, output)
            }
            if !seen.running { return }
        }
    }

    private func wanted(_ entry: JSONFileLog.Entry) -> Bool {
        guard entry.stream == .stderr ? options.stderr : options.stdout else { return false }
        if let since = options.since, entry.time < since { return false }
        return true
    }

    private func send(_ entry: JSONFileLog.Entry, _ output: OutputSink) async throws {
        guard options.timestamps else { return try await output(entry.stream, entry.bytes) }
        var payload: [UInt8] = []
        payload.reserveCapacity(entry.bytes.count + 32)
        Timestamp.appendRFC3339(nanoseconds: entry.time, to: &payload)
        payload.append(32)
        payload += entry.bytes
        try await output(entry.stream, payload)
    }

    /// Every entry of the rotated files and the current one, and a cursor at the current file's end.
    private static func readAll(_ log: JSONFileLog) throws -> ([JSONFileLog.Entry], Cursor) {
        let generation = log.position.generation
        var entries: [JSONFileLog.Entry] = []
        for file in log.files.dropLast() {
            guard var old = try? Cursor.open(file, generation: generation) else { continue }
            entries += try old.readNew()
            old.close()
        }
        var cursor = try Cursor.open(log.path, generation: generation)
        entries += try cursor.readNew()
        return (entries, cursor)
    }

    /// An open log file and what was read of it: entries come whole lines at a time.
    struct Cursor: Sendable {
        let path: String
        var fd: Int32
        let generation: Int
        var partial: [UInt8] = []

        /// Opens `path`; a file that does not exist yet reads as empty until it does.
        static func open(_ path: String, generation: Int) throws -> Cursor {
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 || errno == ENOENT else { throw FileError("open", path, code: errno) }
            return Cursor(path: path, fd: fd, generation: generation)
        }

        mutating func close() {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }

        /// The entries of the lines written since the last read.
        mutating func readNew() throws -> [JSONFileLog.Entry] {
            // A container that had written nothing when the reader came has no file yet.
            if fd < 0 { fd = Glibc.open(path, O_RDONLY | O_CLOEXEC) }
            guard fd >= 0 else { return [] }
            var bytes = partial
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                bytes += chunk[..<n]
            }
            var entries: [JSONFileLog.Entry] = []
            var lineStart = 0
            for index in bytes.indices where bytes[index] == 10 {
                if let entry = LogReader.parse(bytes[lineStart..<index]) { entries.append(entry) }
                lineStart = index + 1
            }
            partial = Array(bytes[lineStart...])
            return entries
        }
    }

    /// One line of the log. The log's own lines are read by hand (`{"log":…,"stream":…,"time":…}`
    /// in that order); anything else through the JSON decoder.
    static func parse(_ line: ArraySlice<UInt8>) -> JSONFileLog.Entry? {
        if let entry = parseFast(line) { return entry }
        struct Line: Decodable {
            var log: String
            var stream: String
            var time: String
        }
        guard let decoded = try? JSONDecoder().decode(Line.self, from: Data(line)),
              let time = Timestamp.parseRFC3339(decoded.time) else { return nil }
        return JSONFileLog.Entry(stream: decoded.stream == "stderr" ? .stderr : .stdout, bytes: Array(decoded.log.utf8), time: time)
    }

    private static func parseFast(_ line: ArraySlice<UInt8>) -> JSONFileLog.Entry? {
        let prefix = Array(#"{"log":""#.utf8)
        guard line.starts(with: prefix) else { return nil }
        var index = line.startIndex + prefix.count
        var text: [UInt8] = []
        text.reserveCapacity(line.count)
        func hex(_ b: UInt8) -> UInt32? {
            switch b {
            case 48...57: UInt32(b - 48)
            case 97...102: UInt32(b - 87)
            case 65...70: UInt32(b - 55)
            default: nil
            }
        }
        while index < line.endIndex, line[index] != 34 {
            let b = line[index]
            guard b == 92 else {
                text.append(b)
                index += 1
                continue
            }
            guard index + 1 < line.endIndex else { return nil }
            let escaped = line[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "n"): text.append(10)
            case UInt8(ascii: "r"): text.append(13)
            case UInt8(ascii: "t"): text.append(9)
            case UInt8(ascii: "b"): text.append(8)
            case UInt8(ascii: "f"): text.append(12)
            case UInt8(ascii: "u"):
                guard index + 4 <= line.endIndex else { return nil }
                var value: UInt32 = 0
                for b in line[index..<index + 4] {
                    guard let digit = hex(b) else { return nil }
                    value = value << 4 | digit
                }
                index += 4
                // A surrogate pair (written for characters beyond the BMP by other encoders).
                if (0xD800..<0xDC00).contains(value), index + 6 <= line.endIndex, line[index] == 92, line[index + 1] == 117 {
                    var low: UInt32 = 0
                    for b in line[index + 2..<index + 6] {
                        guard let digit = hex(b) else { return nil }
                        low = low << 4 | digit
                    }
                    index += 6
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                }
                text += Array(String(Unicode.Scalar(value).map(Character.init) ?? "\u{FFFD}").utf8)
            default: text.append(escaped)
            }
        }
        guard index < line.endIndex else { return nil }
        let rest = line[(index + 1)...]
        let stdout = Array(#","stream":"stdout","time":""#.utf8), stderr = Array(#","stream":"stderr","time":""#.utf8)
        let stream: OutputStream
        if rest.starts(with: stdout) { stream = .stdout } else if rest.starts(with: stderr) { stream = .stderr } else { return nil }
        let timeStart = rest.startIndex + stdout.count
        guard let timeEnd = rest[timeStart...].firstIndex(of: 34),
              let time = Timestamp.parseRFC3339(String(decoding: rest[timeStart..<timeEnd], as: UTF8.self)) else { return nil }
        return JSONFileLog.Entry(stream: stream, bytes: text, time: time)
    }
}
