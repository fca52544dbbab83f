import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The identity and privileges of a container's process, applied by its init in runc's order:
/// the bounding set is narrowed while init is still root with every capability, the user and
/// groups are set with the permitted capabilities kept across `setuid`, then the capability
/// sets, the ambient set and no_new_privs. Capabilities outside the creator's bounding set are
/// left out rather than refused, so a privileged container gets all the creator holds.
struct ProcessSecurity {
    let process: RuntimeSpec.Process

    /// The highest capability this kernel knows.
    static var lastCapability: Int {
        let fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return Capability.names.count - 1 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return Capability.names.count - 1 }
        return Int(String(decoding: buffer[..<n], as: UTF8.self).filter(\.isNumber)) ?? Capability.names.count - 1
    }

    /// Narrows the bounding set, and keeps the permitted set across the coming `setuid`.
    func applyBeforeUser() throws(RuntimeError) {
        guard let capabilities = process.capabilities else { return }
        let bounding = try Capability.bits(capabilities.bounding)
        // Unknown names in the other sets are refused before anything changes.
        _ = try Capability.bits(capabilities.effective)
        _ = try Capability.bits(capabilities.permitted)
        _ = try Capability.bits(capabilities.inheritable)
        _ = try Capability.bits(capabilities.ambient)
        for number in 0...Self.lastCapability where bounding[number / 32] & (1 << UInt32(number % 32)) == 0 {
            guard berth_prctl(PR_CAPBSET_DROP, UInt(number), 0, 0, 0) == 0 || errno == EINVAL else {
                throw RuntimeError.system("drop \(Capability.names[safe: number] ?? String(number)) from the bounding set", errno)
            }
        }
        guard berth_prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0 else { throw RuntimeError.system("prctl PR_SET_KEEPCAPS", errno) }
    }

    /// Groups, then group, then user.
    func setUser() throws(RuntimeError) {
        let user = process.user
        // (uid_t)-1 means "leave unchanged" to setresuid and setresgid: asked for, the process
        // would stay root.
        for id in [user.uid, user.gid] + (user.additionalGids ?? []) where id == UInt32.max {
            throw RuntimeError.invalid("\(id) is not a valid user or group ID")
        }
        let groups = (user.additionalGids ?? []).map { gid_t($0) }
        guard setgroups(groups.count, groups) == 0 else { throw RuntimeError.system("setgroups", errno) }
        guard berth_setresgid(user.gid) == 0 else { throw RuntimeError.system("setgid \(user.gid)", errno) }
        guard berth_setresuid(user.uid) == 0 else { throw RuntimeError.system("setuid \(user.uid)", errno) }
        if let mask = user.umask { umask(mode_t(mask)) }
    }

    /// The capability sets, the ambient set, then no_new_privs.
    func applyAfterUser() throws(RuntimeError) {
        if let capabilities = process.capabilities {
            _ = berth_prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)
            // A capability the creator does not hold cannot be granted: a privileged container
            // gets every one it holds (the bounding set, narrowed above, says which).
            let held = Capability.boundingBits()
            func grantable(_ names: [String]?) throws(RuntimeError) -> [UInt32] {
                try zip(Capability.bits(names), held).map { $0 & $1 }
            }
            var effective = try grantable(capabilities.effective)
            var permitted = try grantable(capabilities.permitted)
            var inheritable = try grantable(capabilities.inheritable)
            guard berth_capset(&effective, &permitted, &inheritable) == 0 else { throw RuntimeError.system("capset", errno) }
            _ = berth_prctl(PR_CAP_AMBIENT, UInt(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
            // The kernel raises an ambient capability only if it is permitted and inheritable
            // (runc's default spec asks for ambient ones that are not inheritable): others are
            // left out, as runc does with a warning.
            for name in capabilities.ambient ?? [] {
                guard let number = Capability.number(name) else { continue }
                let bit: UInt32 = 1 << UInt32(number % 32)
                guard permitted[number / 32] & inheritable[number / 32] & bit != 0 else { continue }
                guard berth_prctl(PR_CAP_AMBIENT, UInt(PR_CAP_AMBIENT_RAISE), UInt(number), 0, 0) == 0 else {
                    throw RuntimeError.system("raise the ambient capability \(name)", errno)
                }
            }
        }
        if process.noNewPrivileges == true {
            guard berth_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 else { throw RuntimeError.system("prctl PR_SET_NO_NEW_PRIVS", errno) }
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
