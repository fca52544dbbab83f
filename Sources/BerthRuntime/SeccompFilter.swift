import CBerthRuntime
import CSeccomp
#if canImport(Glibc)
import Glibc
#endif

/// An OCI seccomp profile compiled with the system's libseccomp and loaded into the calling
/// process (a container's init, just before its command runs): the default action, the
/// architectures, and one rule per syscall name (names this architecture lacks are skipped, as
/// runc skips them). Arguments of a rule are all required, unless one index repeats: then each
/// argument makes a rule of its own (Docker's `personality` and `socket` entries read so).
final class SeccompFilter {
    private let context: scmp_filter_ctx

    init(_ profile: RuntimeSpec.Seccomp) throws(RuntimeError) {
        let defaultAction = try Self.action(profile.defaultAction, errno: profile.defaultErrnoRet)
        guard let context = seccomp_init(defaultAction) else { throw RuntimeError.invalid("seccomp: cannot create a filter") }
        self.context = context
        // The profile decides about no_new_privs, not libseccomp (which would set it at load).
        _ = seccomp_attr_set(context, SCMP_FLTATR_CTL_NNP, 0)
        for architecture in profile.architectures ?? [] {
            guard let name = Self.architectureNames[architecture] else { continue }
            let token = seccomp_arch_resolve_name(name)
            guard token != 0 else { continue }
            let rc = seccomp_arch_add(context, token)
            guard rc == 0 || rc == -EEXIST else { throw RuntimeError.system("seccomp: add architecture \(architecture)", -rc) }
        }
        for entry in profile.syscalls ?? [] {
            let action = try Self.action(entry.action, errno: entry.errnoRet)
            guard action != defaultAction else { continue }
            let conditions = try (entry.args ?? []).map { argument throws(RuntimeError) in try Self.condition(argument) }
            let indices = conditions.map(\.arg)
            let separate = Set(indices).count != indices.count
            for name in entry.names {
                let number = seccomp_syscall_resolve_name(name)
                guard number != __NR_SCMP_ERROR else { continue }
                let groups: [[scmp_arg_cmp]] = separate ? conditions.map { [$0] } : [conditions]
                for group in groups {
                    let rc = group.withUnsafeBufferPointer {
                        seccomp_rule_add_array(context, action, number, UInt32($0.count), $0.baseAddress)
                    }
                    guard rc == 0 else { throw RuntimeError.system("seccomp: add a rule for \(name)", -rc) }
                }
            }
        }
    }

    deinit { seccomp_release(context) }

    /// Installs the filter in this process; it holds for every process it execs.
    func load() throws(RuntimeError) {
        let rc = seccomp_load(context)
        guard rc == 0 else { throw RuntimeError.system("seccomp: load the filter", -rc) }
    }

    /// The filter as the kernel's BPF program (`struct sock_filter` instructions), which
    /// `SeccompProgram.load` installs without libseccomp.
    func program() throws(RuntimeError) -> [UInt8] {
        let fd = berth_memfd_create("berth-seccomp")
        guard fd >= 0 else { throw RuntimeError.system("seccomp: memfd_create", errno) }
        defer { close(fd) }
        let rc = seccomp_export_bpf(context, fd)
        guard rc == 0 else { throw RuntimeError.system("seccomp: export the filter", -rc) }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0, size % 8 == 0 else { throw RuntimeError.invalid("seccomp: exported a filter of \(size) bytes") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n == Int(size) else { throw RuntimeError.system("seccomp: read the exported filter", errno) }
        return bytes
    }

    private static let architectureNames: [String: String] = [
        "SCMP_ARCH_X86_64": "x86_64", "SCMP_ARCH_X86": "x86", "SCMP_ARCH_X32": "x32",
        "SCMP_ARCH_AARCH64": "aarch64", "SCMP_ARCH_ARM": "arm",
    ]

    private static func action(_ name: String, errno value: UInt32?) throws(RuntimeError) -> UInt32 {
        switch name {
        case "SCMP_ACT_ALLOW": return SCMP_ACT_ALLOW
        case "SCMP_ACT_ERRNO": return 0x0005_0000 | ((value ?? UInt32(EPERM)) & 0xFFFF)
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return SCMP_ACT_KILL_THREAD
        case "SCMP_ACT_KILL_PROCESS": return SCMP_ACT_KILL_PROCESS
        case "SCMP_ACT_TRAP": return SCMP_ACT_TRAP
        case "SCMP_ACT_TRACE": return 0x7FF0_0000 | ((value ?? UInt32(EPERM)) & 0xFFFF)
        case "SCMP_ACT_LOG": return SCMP_ACT_LOG
        default: throw RuntimeError.invalid("seccomp: unknown action \(name)")
        }
    }

    private static func condition(_ argument: RuntimeSpec.SyscallArgument) throws(RuntimeError) -> scmp_arg_cmp {
        let operation: scmp_compare = switch argument.op {
        case "SCMP_CMP_NE": SCMP_CMP_NE
        case "SCMP_CMP_LT": SCMP_CMP_LT
        case "SCMP_CMP_LE": SCMP_CMP_LE
        case "SCMP_CMP_EQ": SCMP_CMP_EQ
        case "SCMP_CMP_GE": SCMP_CMP_GE
        case "SCMP_CMP_GT": SCMP_CMP_GT
        case "SCMP_CMP_MASKED_EQ": SCMP_CMP_MASKED_EQ
        default: throw RuntimeError.invalid("seccomp: unknown comparison \(argument.op)")
        }
        guard argument.index < 6 else { throw RuntimeError.invalid("seccomp: argument index \(argument.index) out of range") }
        return scmp_arg_cmp(arg: argument.index, op: operation, datum_a: argument.value, datum_b: argument.valueTwo ?? 0)
    }
}
