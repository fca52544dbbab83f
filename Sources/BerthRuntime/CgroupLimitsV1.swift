#if canImport(Glibc)
import Glibc
#endif

/// A container's limits written to v1 controllers' files, in the orders the kernel needs.
struct CgroupLimitsV1 {
    let cgroup: Cgroup

    func apply(_ resources: RuntimeSpec.Resources) throws(RuntimeError) {
        if let memory = resources.memory { try apply(memory) }
        if let cpu = resources.cpu { try apply(cpu) }
        // Zero leaves a value as it is, as in runc: an update names only what it changes.
        if let pids = resources.pids, pids.limit != 0 {
            try write("pids", "pids.max", pids.limit > 0 ? String(pids.limit) : "max")
        }
        if let weight = resources.blockIO?.weight, weight > 0, let blkio = cgroup.v1Directory("blkio") {
            let file = access(blkio + "/blkio.weight", F_OK) == 0 ? "blkio.weight" : "blkio.bfq.weight"
            try write("blkio", file, String(weight))
        }
        if let rules = resources.devices { try apply(rules) }
    }

    private func apply(_ memory: RuntimeSpec.Memory) throws(RuntimeError) {
        // 0 is "not set" (dockerd sends every field with `docker update`), -1 unlimited.
        let swap = memory.swap == 0 ? nil : memory.swap
        if let limit = memory.limit, limit != 0 {
            // memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes: raise the
            // memory+swap limit first when the memory limit grows past it, lower it last.
            // Without swap accounting (no memsw file) there is no swap limit to set, as dockerd
            // warns at start-up.
            let memswFile = try directory("memory") + "/memory.memsw.limit_in_bytes"
            let memsw = access(memswFile, F_OK) == 0 ? swap : nil
            let current = Int64((try? CgroupFile.read(memswFile)) ?? "") ?? Int64.max
            if let memsw, memsw == -1 || memsw > current {
                try write("memory", "memory.memsw.limit_in_bytes", String(memsw))
                try write("memory", "memory.limit_in_bytes", String(limit))
            } else {
                try write("memory", "memory.limit_in_bytes", String(limit))
                if let memsw { try write("memory", "memory.memsw.limit_in_bytes", String(memsw)) }
            }
        }
        if let reservation = memory.reservation, reservation != 0 {
            try write("memory", "memory.soft_limit_in_bytes", String(reservation))
        }
        if let swappiness = memory.swappiness, swappiness <= 100 { try write("memory", "memory.swappiness", String(swappiness)) }
        if memory.disableOOMKiller == true { try write("memory", "memory.oom_control", "1") }
    }

    private func apply(_ cpu: RuntimeSpec.CPU) throws(RuntimeError) {
        if let shares = cpu.shares, shares > 0 { try write("cpu", "cpu.shares", String(shares)) }
        if let period = cpu.period, period > 0 { try write("cpu", "cpu.cfs_period_us", String(period)) }
        if let quota = cpu.quota, quota != 0 { try write("cpu", "cpu.cfs_quota_us", String(quota)) }
        if let cpus = cpu.cpus, !cpus.isEmpty { try write("cpuset", "cpuset.cpus", cpus) }
        if let mems = cpu.mems, !mems.isEmpty { try write("cpuset", "cpuset.mems", mems) }
    }

    /// The rules in order: a rule for every device (`a`) resets the list, then each is added.
    private func apply(_ rules: [RuntimeSpec.DeviceRule]) throws(RuntimeError) {
        for rule in rules {
            let type = rule.type ?? "a"
            let access = rule.access ?? "rwm"
            let text: String
            if type == "a" {
                text = "a"
            } else {
                text = "\(type) \(rule.major.map(String.init) ?? "*"):\(rule.minor.map(String.init) ?? "*") \(access)"
            }
            try write("devices", rule.allow ? "devices.allow" : "devices.deny", text)
        }
    }

    private func directory(_ controller: String) throws(RuntimeError) -> String {
        guard let directory = cgroup.v1Directory(controller) else {
            throw RuntimeError(kind: .notImplemented, message: "this host has no \(controller) cgroup controller")
        }
        return directory
    }

    private func write(_ controller: String, _ file: String, _ value: String) throws(RuntimeError) {
        try CgroupFile.write(try directory(controller) + "/" + file, value)
    }
}
