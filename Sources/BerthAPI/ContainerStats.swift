/// One sample of `GET /containers/{name}/stats`: Docker's `StatsJSON`, the fields `docker stats`
/// computes its columns from (CPU % from the difference between `cpu_stats` and
/// `precpu_stats`, memory from `memory_stats`, PIDs from `pids_stats`).
public struct ContainerStats: Codable, Sendable {
    public struct CPUUsage: Codable, Sendable {
        public var total_usage: UInt64 = 0
        public var percpu_usage: [UInt64]?
        public var usage_in_kernelmode: UInt64 = 0
        public var usage_in_usermode: UInt64 = 0
        public init() {}
    }

    public struct Throttling: Codable, Sendable {
        public var periods: UInt64 = 0
        public var throttled_periods: UInt64 = 0
        public var throttled_time: UInt64 = 0
        public init() {}
    }

    public struct CPU: Codable, Sendable {
        public var cpu_usage = CPUUsage()
        public var system_cpu_usage: UInt64?
        public var online_cpus: Int?
        public var throttling_data = Throttling()
        public init() {}
    }

    public struct Memory: Codable, Sendable {
        public var usage: UInt64?
        public var max_usage: UInt64?
        public var stats: [String: UInt64]?
        public var failcnt: UInt64?
        public var limit: UInt64?
        public init() {}
    }

    public struct Pids: Codable, Sendable {
        public var current: UInt64?
        public var limit: UInt64?
        public init() {}
    }

    public struct BlockIOEntry: Codable, Sendable {
        public var major: UInt64
        public var minor: UInt64
        public var op: String
        public var value: UInt64
        public init(major: UInt64, minor: UInt64, op: String, value: UInt64) {
            self.major = major
            self.minor = minor
            self.op = op
            self.value = value
        }
    }

    public struct BlockIO: Codable, Sendable {
        public var io_service_bytes_recursive: [BlockIOEntry]?
        public var io_serviced_recursive: [BlockIOEntry]?
        public var io_queue_recursive: [BlockIOEntry]?
        public var io_service_time_recursive: [BlockIOEntry]?
        public var io_wait_time_recursive: [BlockIOEntry]?
        public var io_merged_recursive: [BlockIOEntry]?
        public var io_time_recursive: [BlockIOEntry]?
        public var sectors_recursive: [BlockIOEntry]?
        public init() {}
    }

    public struct Storage: Codable, Sendable {
        public init() {}
    }

    /// RFC 3339; Go's zero time for the first sample of a stream's `preread`.
    public var read = ContainerInspect.zeroTime
    public var preread = ContainerInspect.zeroTime
    public var pids_stats = Pids()
    public var blkio_stats = BlockIO()
    public var num_procs = 0
    public var storage_stats = Storage()
    public var cpu_stats = CPU()
    public var precpu_stats = CPU()
    public var memory_stats = Memory()
    public var name = ""
    public var id = ""

    public init() {}
}
