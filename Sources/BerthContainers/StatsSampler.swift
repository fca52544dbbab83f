import BerthAPI
import BerthCore
import BerthRuntime
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

/// Samples a container's statistics from its cgroup, as dockerd reports them; a container that
/// does not run gives zeros.
enum StatsSampler {
    static func sample(_ container: Container) async -> ContainerStats {
        var sample = ContainerStats()
        sample.id = container.id
        sample.name = "/" + (await container.name)
        guard let cgroup = await container.cgroup else { return sample }
        guard let (stats, system) = try? await BlockingPool.shared.run({ (cgroup.stats(), systemCPUUsage()) }) else { return sample }
        sample.read = Timestamp.rfc3339Nano(nanoseconds: Timestamp.nowNanoseconds())
        var cpu = ContainerStats.CPU()
        cpu.cpu_usage.total_usage = stats.cpu.total
        cpu.cpu_usage.percpu_usage = stats.cpu.perCPU.isEmpty ? nil : stats.cpu.perCPU
        cpu.cpu_usage.usage_in_kernelmode = stats.cpu.kernel
        cpu.cpu_usage.usage_in_usermode = stats.cpu.user
        cpu.system_cpu_usage = system
        cpu.online_cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        cpu.throttling_data.periods = stats.cpu.periods
        cpu.throttling_data.throttled_periods = stats.cpu.throttledPeriods
        cpu.throttling_data.throttled_time = stats.cpu.throttledTime
        sample.cpu_stats = cpu
        var memory = ContainerStats.Memory()
        memory.usage = stats.memory.usage.usage
        memory.max_usage = stats.memory.usage.max
        memory.failcnt = stats.memory.usage.failcnt
        // An unlimited container is limited by the host's memory, which is what dockerd reports.
        let physical = UInt64(sysconf(Int32(_SC_PHYS_PAGES))) &* UInt64(sysconf(Int32(_SC_PAGESIZE)))
        memory.limit = stats.memory.usage.limit == 0 ? physical : min(stats.memory.usage.limit, physical)
        memory.stats = stats.memory.raw
        sample.memory_stats = memory
        sample.pids_stats.current = stats.pids.current
        if stats.pids.limit != 0, stats.pids.limit != UInt64.max { sample.pids_stats.limit = stats.pids.limit }
        var blockIO = ContainerStats.BlockIO()
        blockIO.io_service_bytes_recursive = stats.ioServiceBytes.map {
            ContainerStats.BlockIOEntry(major: $0.major, minor: $0.minor, op: $0.op, value: $0.value)
        }
        blockIO.io_serviced_recursive = stats.ioServiced.map {
            ContainerStats.BlockIOEntry(major: $0.major, minor: $0.minor, op: $0.op, value: $0.value)
        }
        sample.blkio_stats = blockIO
        return sample
    }

    /// The host's CPU time in nanoseconds: the `cpu` line of /proc/stat (USER_HZ ticks).
    static func systemCPUUsage() -> UInt64 {
        guard let line = SmallFile.text("/proc/stat")?.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }.reduce(0, +)
        return ticks * (1_000_000_000 / UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1)))
    }
}
