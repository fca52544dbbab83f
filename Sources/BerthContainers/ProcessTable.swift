import BerthAPI
import BerthCore
#if canImport(Glibc)
import Glibc
#endif

/// `docker top`'s table, read from `/proc` for the container's processes, in `ps -ef`'s
/// columns: UID PID PPID C STIME TTY TIME CMD. Blocking.
enum ProcessTable {
    static func read(pids: [Int32]) throws -> ContainerTop {
        let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
        let boot = bootTime()
        let now = Int64(time(nil))
        var rows: [[String]] = []
        for pid in pids.sorted() {
            guard let stat = SmallFile.text("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ").map(String.init)
            // fields[0] is the state (field 3); ppid is field 4, utime 14, stime 15, starttime 22.
            guard fields.count > 19, let ppid = Int(fields[1]), let user = Int64(fields[11]), let system = Int64(fields[12]),
                  let start = Int64(fields[19]), let ttyNumber = Int(fields[4]) else { continue }
            let status = SmallFile.text("/proc/\(pid)/status") ?? ""
            let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?
                .split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.map(String.init) ?? "?"
            let cpuSeconds = (user + system) / max(ticks, 1)
            let startedAt = boot + start / max(ticks, 1)
            let elapsed = max(now - startedAt, 1)
            let percent = Int((user + system) * 100 / max(ticks, 1) / elapsed)
            let command: String
            if case .success(let bytes) = SmallFile.read("/proc/\(pid)/cmdline"), !bytes.isEmpty {
                command = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            } else {
                command = "[" + stat[stat.index(after: stat.firstIndex(of: "(") ?? stat.startIndex)..<close] + "]"
            }
            rows.append([uid, String(pid), String(ppid), String(percent), startTime(startedAt, now: now), tty(ttyNumber),
                         cpuTime(cpuSeconds), command])
        }
        return ContainerTop(Titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], Processes: rows)
    }

    /// `ps`' output with the given arguments, only the rows of `pids`, as dockerd reads it: the
    /// titles from the first line, the last column taking the rest of each row.
    static func parse(_ output: String, pids: [Int32]) throws -> ContainerTop {
        let lines = output.split(separator: "\n")
        guard let header = lines.first else { throw APIError.system("ps printed nothing") }
        let titles = header.split(separator: " ").map(String.init)
        guard let pidColumn = titles.firstIndex(of: "PID") else { throw APIError.invalidParameter("Couldn't find PID field in ps output") }
        let wanted = Set(pids)
        var rows: [[String]] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ", maxSplits: titles.count - 1).map(String.init)
            guard fields.count > pidColumn, let pid = Int32(fields[pidColumn]), wanted.contains(pid) else { continue }
            rows.append(fields)
        }
        return ContainerTop(Titles: titles, Processes: rows)
    }

    private static func bootTime() -> Int64 {
        let stat = SmallFile.text("/proc/stat") ?? ""
        return stat.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Int64($0.dropFirst(6)) } ?? 0
    }

    /// `HH:MM` for today, else `MonDD`, as ps prints STIME.
    private static func startTime(_ seconds: Int64, now: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        if now - seconds < 86_400 {
            return String(format2(Int(parts.tm_hour))) + ":" + format2(Int(parts.tm_min))
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return months[Int(parts.tm_mon)] + format2(Int(parts.tm_mday))
    }

    /// `pts/0` for a terminal, `?` for none.
    private static func tty(_ number: Int) -> String {
        guard number != 0 else { return "?" }
        let major = (number >> 8) & 0xfff, minor = (number & 0xff) | ((number >> 12) & 0xfff00)
        return major == 136 ? "pts/\(minor)" : "?"
    }

    /// `HH:MM:SS`.
    private static func cpuTime(_ seconds: Int64) -> String {
        "\(format2(Int(seconds / 3600))):\(format2(Int(seconds / 60 % 60))):\(format2(Int(seconds % 60)))"
    }

    private static func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}
