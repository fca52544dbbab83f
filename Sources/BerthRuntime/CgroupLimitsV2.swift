#if canImport(Glibc)
import Glibc
#endif

/// A container's limits written to cgroup2's files, converted from the OCI (v1-shaped) values
/// as runc converts them.
struct CgroupLimitsV2 {
    /// The container's directory in the cgroup2 mount.
    let directory: String

    func apply(_ resources: RuntimeSpec.Resources) throws(RuntimeError) {
        // 0 is "not set" (dockerd sends every field with `docker update`), -1 unlimited, as in runc.
        if let memory = resources.memory {
            let limit = memory.limit ?? 0
            if limit != 0 { try write("memory.max", limit < 0 ? "max" : String(limit)) }
            // OCI's swap is memory plus swap; cgroup2 limits swap alone.
            let swap = memory.swap ?? 0
            if swap == -1 || (swap == 0 && limit == -1) {
                try write("memory.swap.max", "max")
            } else if swap > 0 {
                guard limit > 0, swap >= limit else {
                    throw RuntimeError.invalid("a swap limit needs a memory limit no greater than memory plus swap")
                }
                try write("memory.swap.max", String(swap - limit))
            }
            if let reservation = memory.reservation, reservation > 0 { try write("memory.low", String(reservation)) }
        }
        if let cpu = resources.cpu {
            if let shares = cpu.shares, shares > 0 { try write("cpu.weight", String(Self.weight(shares: shares))) }
            let quota = cpu.quota ?? 0, period = cpu.period ?? 0
            if quota != 0 || period != 0 {
                // Without a period the kernel keeps the one it has.
                try write("cpu.max", (quota > 0 ? String(quota) : "max") + (period != 0 ? " \(period)" : ""))
            }
            if let cpus = cpu.cpus, !cpus.isEmpty { try write("cpuset.cpus", cpus) }
            if let mems = cpu.mems, !mems.isEmpty { try write("cpuset.mems", mems) }
        }
        if let pids = resources.pids, pids.limit != 0 { try write("pids.max", pids.limit > 0 ? String(pids.limit) : "max") }
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
