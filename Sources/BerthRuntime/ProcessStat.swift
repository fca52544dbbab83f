import BerthCore

/// The fields of `/proc/PID/stat` the runtime needs, read in one go. They are counted after the
/// command name, which may hold spaces and parentheses.
public struct ProcessStat: Equatable, Sendable {
    /// `R`, `S`, `D`, `Z` (exited, not yet reaped), …
    public let state: Character
    /// Field 22, in clock ticks since boot: a process that later takes the pid has another.
    public let startTime: UInt64

    /// Nil when no such process exists.
    public init?(pid: Int32) {
        guard let stat = SmallFile.text("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let startTime = UInt64(fields[19]) else { return nil }
        self.state = state
        self.startTime = startTime
    }

    /// Whether `pid` is still the process that started at `startTime`, and has not exited.
    public static func isRunning(_ pid: Int32, startedAt startTime: UInt64) -> Bool {
        guard let stat = ProcessStat(pid: pid) else { return false }
        return stat.startTime == startTime && stat.state != "Z"
    }
}
