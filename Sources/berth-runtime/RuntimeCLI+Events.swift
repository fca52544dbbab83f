import BerthCore
import BerthRuntime
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension RuntimeCLI {
    /// `events --stats ID`: one `stats` event with the container's cgroup statistics, in runc's
    /// JSON. Without `--stats`: a `stats` event every `--interval` (default 5s) and an `oom` event
    /// when the OOM killer strikes, until the container stops.
    func events(_ id: String) throws {
        let container = try directory(id)
        let record = try container.load()
        guard container.status(of: record) != .stopped, let cgroup = record.cgroup else {
            throw RuntimeError(kind: .conflict, message: "container \(id) is not running")
        }
        if line.flag("stats") {
            let stats = cgroup.stats()
            try emit(StatsEvent(id: id, stats: stats))
            return
        }
        let interval = try Self.interval(line.options["interval"] ?? "5s")
        var kills = cgroup.oomKills
        while container.status(of: record) != .stopped {
            let (stats, now) = (cgroup.stats(), cgroup.oomKills)
            if now > kills { try emit(OOMEvent(id: id)) }
            kills = now
            try emit(StatsEvent(id: id, stats: stats))
            let (seconds, attoseconds) = interval.components
            var pause = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            var left = timespec()
            while nanosleep(&pause, &left) != 0 && errno == EINTR { pause = left }
        }
    }

    private func emit(_ event: some Encodable) throws {
        print(String(decoding: try JSONEncoder.goStyle(sortedKeys: true).encode(event), as: UTF8.self))
        fflush(nil)  // a reader of the stream sees each event as it comes
    }

    /// Go's duration syntax for the values runc users pass: `500ms`, `5s`, `1m`.
    static func interval(_ text: String) throws(RuntimeError) -> Duration {
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value > 0 { return .milliseconds(Int64(value * scale * 1000)) }
        }
        throw RuntimeError.invalid("invalid interval \"\(text)\": use a duration such as 5s or 500ms")
    }

    struct OOMEvent: Encodable {
        let type = "oom"
        let id: String
    }

    /// runc's `types.Event` holding `types.Stats`, with the fields this runtime fills.
    struct StatsEvent: Encodable {
        let type = "stats"
        let id: String
        let data: Data

        init(id: String, stats: CgroupStats) {
            self.id = id
            data = Data(stats)
        }

        struct Data: Encodable {
            let cpu: CPU
            let memory: Memory
            let pids: Pids
            let blkio: Blkio

            init(_ stats: CgroupStats) {
                cpu = CPU(usage: .init(total: stats.cpu.total, percpu: stats.cpu.perCPU, kernel: stats.cpu.kernel, user: stats.cpu.user),
                          throttling: .init(periods: stats.cpu.periods, throttledPeriods: stats.cpu.throttledPeriods,
                                            throttledTime: stats.cpu.throttledTime))
                func entry(_ entry: CgroupStats.MemoryEntry) -> MemoryEntry {
                    MemoryEntry(limit: entry.limit, usage: entry.usage, max: entry.max, failcnt: entry.failcnt)
                }
                memory = Memory(cache: stats.memory.cache, usage: entry(stats.memory.usage), swap: entry(stats.memory.swap),
                                raw: stats.memory.raw)
                pids = Pids(current: stats.pids.current, limit: stats.pids.limit)
                func entries(_ list: [CgroupStats.BlockIOEntry]) -> [BlkioEntry] {
                    list.map { BlkioEntry(major: $0.major, minor: $0.minor, op: $0.op, value: $0.value) }
                }
                blkio = Blkio(ioServiceBytesRecursive: entries(stats.ioServiceBytes), ioServicedRecursive: entries(stats.ioServiced))
            }
        }

        struct CPU: Encodable {
            struct Usage: Encodable {
                let total: UInt64
                let percpu: [UInt64]
                let kernel: UInt64
                let user: UInt64
            }

            struct Throttling: Encodable {
                let periods: UInt64
                let throttledPeriods: UInt64
                let throttledTime: UInt64
            }

            let usage: Usage
            let throttling: Throttling
        }

        struct MemoryEntry: Encodable {
            let limit: UInt64
            let usage: UInt64
            let max: UInt64
            let failcnt: UInt64
        }

        struct Memory: Encodable {
            let cache: UInt64
            let usage: MemoryEntry
            let swap: MemoryEntry
            let raw: [String: UInt64]
        }

        struct Pids: Encodable {
            let current: UInt64
            let limit: UInt64
        }

        struct BlkioEntry: Encodable {
            let major: UInt64
            let minor: UInt64
            let op: String
            let value: UInt64
        }

        struct Blkio: Encodable {
            let ioServiceBytesRecursive: [BlkioEntry]
            let ioServicedRecursive: [BlkioEntry]
        }
    }
}
