import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Linux capabilities by the names the OCI spec uses (`CAP_CHOWN`), with their numbers.
public enum Capability {
    /// Every capability the kernel headers of 6.x define, in number order.
    static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Every capability name this build knows, in number order.
    public static var knownNames: [String] { names }

    /// Docker's default set: what a container that asks for nothing gets.
    public static let dockerDefaults: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// The capabilities in this process's bounding set: what a privileged container may get
    /// (a capability outside it cannot be raised in a child).
    public static func boundingSet() -> [String] {
        let words = boundingBits()
        var held: [String] = []
        for number in names.indices where words[number / 32] & 1 << UInt32(number % 32) != 0 { held.append(names[number]) }
        return held
    }

    /// The bounding set as two 32-bit words, one `PR_CAPBSET_READ` per capability.
    static func boundingBits() -> [UInt32] {
        var words: [UInt32] = [0, 0]
        for number in names.indices where berth_prctl(PR_CAPBSET_READ, UInt(number), 0, 0, 0) == 1 {
            words[number / 32] |= 1 << UInt32(number % 32)
        }
        return words
    }

    /// The number of `name` (`CAP_CHOWN` or `chown`, any case).
    public static func number(_ name: String) -> Int? {
        let upper = name.uppercased()
        return names.firstIndex(of: upper.hasPrefix("CAP_") ? upper : "CAP_" + upper)
    }

    /// The set of `names` as two 32-bit words (the kernel's capability data layout), or an error
    /// naming the first unknown capability.
    static func bits(_ names: [String]?) throws(RuntimeError) -> [UInt32] {
        var words: [UInt32] = [0, 0]
        for name in names ?? [] {
            guard let number = number(name) else { throw RuntimeError.invalid("unknown capability \"\(name)\"") }
            words[number / 32] |= 1 << UInt32(number % 32)
        }
        return words
    }
}
