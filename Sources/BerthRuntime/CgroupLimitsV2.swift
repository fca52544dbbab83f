#if canImport(Glibc)
import Glibc
#endif

/// A container's limits written to cgroup2's files, converted from the OCI (v1-shaped) values
/// as runc converts them.
struct CgroupLimitsV2 {
    /// The container's directory in the cgroup2 mount.
    let directory: String

    func apply(_ resources: RuntimeSpec.Resources) throws(RuntimeError) {
        if let memory = resources.memory {
            if let limit = memory.limit { try write("memory.max", limit <= 0 ? "max" : String(limit)) }
            if let swap = memory.swap {
                // OCI's swap is memory plus swap; cgroup2 limits swap alone.
                let value: String = if swap == -1 {
                    "max"
                } else if let limit = memory.limit, limit > 0 {
                    String(max(0, swap - limit))
                } else {
                    String(swap)
                }
                try write("memory.swap.max", value)
            }
            if let reservation = memory.reservation, reservation > 0 { try write("memory.low", String(reservation)) }
        }
        if let cpu = resources.cpu {
            if let shares = cpu.shares, shares > 0 { try write("cpu.weight", String(Self.weight(shares: shares))) }
            if cpu.quota != nil || cpu.period != nil {
                let quota = cpu.quota.map { $0 > 0 ? String($0) : "max" } ?? "max"
                try write("cpu.max", "\(quota) \(cpu.period ?? 100_000)")
            }
            if let cpus = cpu.cpus, !cpus.isEmpty { try write("cpuset.cpus", cpus) }
            if let mems = cpu.mems, !mems.isEmpty { try write("cpuset.mems", mems) }
        }
        if let pids = resources.pids { try write("pids.max", pids.limit > 0 ? String(pids.limit) : "max") }
        if let weight = resources.blockIO?.weight, weight > 0 {
            try write("io.weight", "default \(Self.ioWeight(blkio: weight))")
        }
        if let rules = resources.devices, rules.contains(where: { $0.allow }) {
            throw RuntimeError(kind: .notImplemented,
                               message: "device rules on cgroup v2 need an eBPF program, which berth does not load yet")
        }
    }

    /// cpu.shares (2–262144) → cpu.weight (1–10000).
    static func weight(shares: UInt64) -> UInt64 {
        let clamped = min(max(shares, 2), 262_144)
        return 1 + ((clamped - 2) * 9999) / 262_142
    }

    /// blkio.weight (10–1000) → io.weight (1–10000).
    static func ioWeight(blkio: UInt16) -> UInt64 {
        let clamped = UInt64(min(max(blkio, 10), 1000))
        return 1 + ((clamped - 10) * 9999) / 990
    }

    private func write(_ file: String, _ value: String) throws(RuntimeError) {
        let path = directory + "/" + file
        guard access(path, F_OK) == 0 else {
            throw RuntimeError(kind: .notImplemented, message: "cgroup v2 file \(path) does not exist: its controller is not enabled")
        }
        try CgroupFile.write(path, value)
    }
}
