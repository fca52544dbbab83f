import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Starts a process through `berth_spawn`: the child only places its descriptors, resets its
/// signals, optionally starts a session, and execs; no Swift runs in it.
enum ProcessSpawn {
    /// What to exec: a program by path, or an open executable (a sealed memfd).
    enum Program {
        case path(String)
        case descriptor(Int32)
    }

    /// Starts `program` with `arguments` (its name first) and `environment`; `descriptors[i]`
    /// becomes the child's descriptor i; it runs in `directory` if one is given. Returns its pid
    /// and a pidfd (the caller closes it).
    static func start(_ program: Program, arguments: [String], environment: [String], descriptors: [Int32],
                      newSession: Bool = false, directory: String? = nil) -> (pid: Int32, pidfd: Int32, error: Int32) {
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { (text: String) in strdup(text) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { (text: String) in strdup(text) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pidfd: Int32 = -1
        let path: String
        let descriptor: Int32
        switch program {
        case .path(let text): (path, descriptor) = (text, -1)
        case .descriptor(let fd): (path, descriptor) = ("", fd)
        }
        let cwd = directory.map { strdup($0) }
        defer { free(cwd ?? nil) }
        let pid = path.withCString { pathPointer in
            argv.withUnsafeBufferPointer { argvPointer in
                envp.withUnsafeBufferPointer { envpPointer in
                    descriptors.withUnsafeBufferPointer { fds in
                        var request = berth_spawn_request()
                        request.exec_fd = descriptor
                        request.path = descriptor >= 0 ? nil : pathPointer
                        request.argv = UnsafePointer(argvPointer.baseAddress)
                        request.envp = UnsafePointer(envpPointer.baseAddress)
                        request.fd_map = fds.baseAddress
                        request.fd_count = Int32(fds.count)
                        request.new_session = newSession ? 1 : 0
                        request.controlling_tty = -1
                        request.cwd = UnsafePointer(cwd ?? nil)
                        return berth_spawn(&request, &pidfd)
                    }
                }
            }
        }
        return pid > 0 ? (pid, pidfd, 0) : (-1, -1, -pid)
    }
}
