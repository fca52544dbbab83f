import BerthSync
import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A seccomp profile compiled to the kernel's BPF program by the container's creator, once per
/// distinct profile, so that a container's init (and every exec) only installs it: compiling
/// Docker's default profile with libseccomp takes about 15 ms, which each `docker exec` paid.
enum SeccompProgram {
    /// Programs already compiled, by profile. Few distinct profiles exist (Docker's default, with
    /// the capabilities a container adds): the cache is small and bounded.
    private static let compiled = Locked<[RuntimeSpec.Seccomp: [UInt8]]>([:])
    private static let capacity = 32

    /// The program for `profile`, compiled now or earlier.
    static func program(for profile: RuntimeSpec.Seccomp) throws(RuntimeError) -> [UInt8] {
        if let program = compiled.withLock({ $0[profile] }) { return program }
        let program = try SeccompFilter(profile).program()
        compiled.withLock { cache in
            if cache.count >= capacity { cache.removeAll() }
            cache[profile] = program
        }
        return program
    }

    /// Installs `program` in the calling process; it holds for every process it execs. Without
    /// no_new_privs this takes CAP_SYS_ADMIN, as loading through libseccomp does.
    static func load(_ program: [UInt8]) throws(RuntimeError) {
        guard !program.isEmpty, program.count % 8 == 0, program.count / 8 <= Int(UInt16.max) else {
            throw RuntimeError.invalid("seccomp: a program of \(program.count) bytes")
        }
        let rc = program.withUnsafeBytes { berth_seccomp_load_program($0.baseAddress, UInt16($0.count / 8)) }
        guard rc == 0 else { throw RuntimeError.system("seccomp: load the filter", errno) }
    }
}
