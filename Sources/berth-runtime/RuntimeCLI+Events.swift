import BerthCore
import BerthRuntime
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

    private func emit(_ event: some JSONWritable) throws {
        print(String(decoding: event.jsonDocument, as: UTF8.self))
        fflush(nil)  // a reader of the stream sees each event as it comes
    }

    /// Go's duration syntax for the values runc users pass: `500ms`, `5s`, `1m`.
    static func interval(_ text: String) throws(RuntimeError) -> Duration {
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value > 0 { return .milliseconds(Int64(value * scale * 1000)) }
        }
        throw RuntimeError.invalid("invalid interval \"\(text)\": use a duration such as 5s or 500ms")
    }

    struct OOMEvent: JSONWritable {
        let id: String

        func write(json writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("id", id)
            writer.member("type", "oom")
            writer.endObject()
        }
    }

    /// runc's `types.Event` holding `types.Stats`, with the fields this runtime fills; keys in
    /// order, as they were when Foundation's encoder sorted them.
    struct StatsEvent: JSONWritable {
        let id: String
        let stats: CgroupStats

        func write(json writer: inout JSONWriter) {
            writer.beginObject()
            writer.key("data")
            writer.beginObject()
            writer.key("blkio")
            writer.beginObject()
            Self.write(stats.ioServiceBytes, as: "ioServiceBytesRecursive", to: &writer)
            Self.write(stats.ioServiced, as: "ioServicedRecursive", to: &writer)
            writer.endObject()
            writer.key("cpu")
            writer.beginObject()
            writer.key("throttling")
            writer.beginObject()
            writer.member("periods", stats.cpu.periods)
            writer.member("throttledPeriods", stats.cpu.throttledPeriods)
            writer.member("throttledTime", stats.cpu.throttledTime)
            writer.endObject()
            writer.key("usage")
            writer.beginObject()
            writer.member("kernel", stats.cpu.kernel)
            writer.key("percpu")
            writer.beginArray()
            for value in stats.cpu.perCPU { writer.integer(value) }
            writer.endArray()
            writer.member("total", stats.cpu.total)
            writer.member("user", stats.cpu.user)
            writer.endObject()
            writer.endObject()
            writer.key("memory")
            writer.beginObject()
            writer.member("cache", stats.memory.cache)
            writer.key("raw")
            writer.beginObject()
            for (name, value) in stats.memory.raw.sorted(by: { $0.key < $1.key }) { writer.member(name, value) }
            writer.endObject()
            Self.write(stats.memory.swap, as: "swap", to: &writer)
            Self.write(stats.memory.usage, as: "usage", to: &writer)
            writer.endObject()
            writer.key("pids")
            writer.beginObject()
            writer.member("current", stats.pids.current)
            writer.member("limit", stats.pids.limit)
            writer.endObject()
            writer.endObject()
            writer.member("id", id)
            writer.member("type", "stats")
            writer.endObject()
        }

        private static func write(_ entries: [CgroupStats.BlockIOEntry], as key: String, to writer: inout JSONWriter) {
            writer.key(key)
            writer.beginArray()
            for entry in entries {
                writer.beginObject()
                writer.member("major", entry.major)
                writer.member("minor", entry.minor)
                writer.member("op", entry.op)
                writer.member("value", entry.value)
                writer.endObject()
            }
            writer.endArray()
        }

        private static func write(_ entry: CgroupStats.MemoryEntry, as key: String, to writer: inout JSONWriter) {
            writer.key(key)
            writer.beginObject()
            writer.member("failcnt", entry.failcnt)
            writer.member("limit", entry.limit)
            writer.member("max", entry.max)
            writer.member("usage", entry.usage)
            writer.endObject()
        }
    }
}
