/// What a cgroup's processes use, read from its files: what `docker stats` shows and
/// `runc events --stats` prints. Times in nanoseconds, sizes in bytes; a value the host does not
/// keep is 0, an unlimited limit `UInt64.max`.
public struct CgroupStats: Sendable, Equatable {
    public struct CPU: Sendable, Equatable {
        public var total: UInt64 = 0
        public var perCPU: [UInt64] = []
        public var kernel: UInt64 = 0
        public var user: UInt64 = 0
        public var periods: UInt64 = 0
        public var throttledPeriods: UInt64 = 0
        public var throttledTime: UInt64 = 0
    }

    public struct MemoryEntry: Sendable, Equatable {
        public var usage: UInt64 = 0
        public var max: UInt64 = 0
        public var failcnt: UInt64 = 0
        public var limit: UInt64 = 0
    }

    public struct Memory: Sendable, Equatable {
        public var usage = MemoryEntry()
        public var swap = MemoryEntry()
        /// Page cache (`cache` in v1's memory.stat, `file` in cgroup2's).
        public var cache: UInt64 = 0
        /// memory.stat as the kernel wrote it.
        public var raw: [String: UInt64] = [:]
    }

    public struct Pids: Sendable, Equatable {
        public var current: UInt64 = 0
        public var limit: UInt64 = 0
    }

    /// One line of block I/O: a device, an operation (`Read`, `Write`, …) and a count.
    public struct BlockIOEntry: Sendable, Equatable {
        public var major: UInt64
        public var minor: UInt64
        public var op: String
        public var value: UInt64
    }

    public var cpu = CPU()
    public var memory = Memory()
    public var pids = Pids()
    /// Bytes moved per device and operation.
    public var ioServiceBytes: [BlockIOEntry] = []
    /// Operations per device and operation.
    public var ioServiced: [BlockIOEntry] = []

    public init() {}
}

extension Cgroup {
    /// The cgroup's statistics: from the v1 controllers where the host has them, else from
    /// cgroup2's files. Blocking file reads.
    public func stats() -> CgroupStats {
        layout.mode == .v2 ? statsV2() : statsV1()
    }

    private func statsV1() -> CgroupStats {
        var stats = CgroupStats()
        func read(_ controller: String, _ file: String) -> String? {
            v1Directory(controller).flatMap { try? CgroupFile.read($0 + "/" + file) }
        }
        func number(_ controller: String, _ file: String) -> UInt64 {
            read(controller, file).flatMap { UInt64($0.trimmingWhitespace) } ?? 0
        }
        let acct = layout.hierarchy(for: "cpuacct") != nil ? "cpuacct" : "cpu"
        stats.cpu.total = number(acct, "cpuacct.usage")
        stats.cpu.perCPU = read(acct, "cpuacct.usage_percpu").map { $0.split(separator: " ").compactMap { UInt64($0) } } ?? []
        // cpuacct.stat counts USER_HZ (100) ticks.
        let ticks = Self.keyedValues(read(acct, "cpuacct.stat") ?? "")
        stats.cpu.user = (ticks["user"] ?? 0) * 10_000_000
        stats.cpu.kernel = (ticks["system"] ?? 0) * 10_000_000
        let throttling = Self.keyedValues(read("cpu", "cpu.stat") ?? "")
        stats.cpu.periods = throttling["nr_periods"] ?? 0
        stats.cpu.throttledPeriods = throttling["nr_throttled"] ?? 0
        stats.cpu.throttledTime = throttling["throttled_time"] ?? 0

        stats.memory.usage = .init(usage: number("memory", "memory.usage_in_bytes"), max: number("memory", "memory.max_usage_in_bytes"),
                                   failcnt: number("memory", "memory.failcnt"), limit: number("memory", "memory.limit_in_bytes"))
        stats.memory.swap = .init(usage: number("memory", "memory.memsw.usage_in_bytes"),
                                  max: number("memory", "memory.memsw.max_usage_in_bytes"),
                                  failcnt: number("memory", "memory.memsw.failcnt"), limit: number("memory", "memory.memsw.limit_in_bytes"))
        stats.memory.raw = Self.keyedValues(read("memory", "memory.stat") ?? "")
        stats.memory.cache = stats.memory.raw["cache"] ?? 0

        stats.pids = .init(current: number("pids", "pids.current"), limit: Self.limit(read("pids", "pids.max")))

        // The throttling files count I/O whatever the scheduler; CFQ's own files are gone from
        // current kernels.
        stats.ioServiceBytes = Self.blockIOV1(read("blkio", "blkio.throttle.io_service_bytes") ?? "")
        stats.ioServiced = Self.blockIOV1(read("blkio", "blkio.throttle.io_serviced") ?? "")
        return stats
    }

    private func statsV2() -> CgroupStats {
        var stats = CgroupStats()
        func read(_ file: String) -> String? { unifiedDirectory.flatMap { try? CgroupFile.read($0 + "/" + file) } }
        func number(_ file: String) -> UInt64 { read(file).flatMap { UInt64($0.trimmingWhitespace) } ?? 0 }
        let cpu = Self.keyedValues(read("cpu.stat") ?? "")
        stats.cpu.total = (cpu["usage_usec"] ?? 0) * 1000
        stats.cpu.user = (cpu["user_usec"] ?? 0) * 1000
        stats.cpu.kernel = (cpu["system_usec"] ?? 0) * 1000
        stats.cpu.periods = cpu["nr_periods"] ?? 0
        stats.cpu.throttledPeriods = cpu["nr_throttled"] ?? 0
        stats.cpu.throttledTime = (cpu["throttled_usec"] ?? 0) * 1000

        let events = Self.keyedValues(read("memory.events") ?? "")
        stats.memory.usage = .init(usage: number("memory.current"), max: number("memory.peak"), failcnt: events["max"] ?? 0,
                                   limit: Self.limit(read("memory.max")))
        stats.memory.swap = .init(usage: number("memory.swap.current"), max: number("memory.swap.peak"), failcnt: 0,
                                  limit: Self.limit(read("memory.swap.max")))
        stats.memory.raw = Self.keyedValues(read("memory.stat") ?? "")
        stats.memory.cache = stats.memory.raw["file"] ?? 0

        stats.pids = .init(current: number("pids.current"), limit: Self.limit(read("pids.max")))
        (stats.ioServiceBytes, stats.ioServiced) = Self.blockIOV2(read("io.stat") ?? "")
        return stats
    }

    /// `key value` lines (cpu.stat, memory.stat, memory.events).
    static func keyedValues(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = UInt64(fields[1]) { values[String(fields[0])] = value }
        }
        return values
    }

    /// A limit file: a number, or `max` (unlimited).
    static func limit(_ text: String?) -> UInt64 {
        guard let text = text?.trimmingWhitespace, !text.isEmpty else { return 0 }
        return text == "max" ? UInt64.max : UInt64(text) ?? 0
    }

    /// v1's `MAJOR:MINOR Op value` lines; the `Total` line is left out.
    static func blockIOV1(_ text: String) -> [CgroupStats.BlockIOEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let device = device(fields[0]), let value = UInt64(fields[2]) else { return nil }
            return .init(major: device.major, minor: device.minor, op: String(fields[1]), value: value)
        }
    }

    /// cgroup2's io.stat (`MAJOR:MINOR rbytes=… wbytes=… rios=… wios=…`) as v1's entries: bytes
    /// and operations, each Read and Write.
    static func blockIOV2(_ text: String) -> (bytes: [CgroupStats.BlockIOEntry], operations: [CgroupStats.BlockIOEntry]) {
        var bytes: [CgroupStats.BlockIOEntry] = [], operations: [CgroupStats.BlockIOEntry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let first = fields.first, let device = device(first) else { continue }
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=")
                guard pair.count == 2, let value = UInt64(pair[1]) else { continue }
                switch pair[0] {
                case "rbytes": bytes.append(.init(major: device.major, minor: device.minor, op: "Read", value: value))
                case "wbytes": bytes.append(.init(major: device.major, minor: device.minor, op: "Write", value: value))
                case "rios": operations.append(.init(major: device.major, minor: device.minor, op: "Read", value: value))
                case "wios": operations.append(.init(major: device.major, minor: device.minor, op: "Write", value: value))
                default: break
                }
            }
        }
        return (bytes, operations)
    }

    private static func device(_ field: Substring) -> (major: UInt64, minor: UInt64)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let major = UInt64(parts[0]), let minor = UInt64(parts[1]) else { return nil }
        return (major, minor)
    }
}
