import BerthCore
import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `berthd init`: the process that becomes a container. The C constructor in CBerthRuntime has
/// already entered the namespaces (and, for a new pid namespace, this is the child it cloned:
/// PID 1 there). What is left runs here, synchronously, on the one thread there is, with no
/// Dispatch and no tasks: read the configuration, build the root file system and pivot into
/// it, apply sysctls, hostname, rlimits, seccomp, user, capabilities, no_new_privs, mark every
/// descriptor close-on-exec, report ready, wait for start, exec the command.
public enum InitProcess {
    /// Whether this process was started as a container's init: call it first in `main`.
    public static var isRequested: Bool { getenv(BERTH_INIT_ENV) != nil }

    /// Sets up the container and execs its command; a failure goes back to the creator over the
    /// init socket in Docker's words and the process exits.
    public static func main() -> Never {
        guard let value = getenv(BERTH_INIT_ENV), let fd = Int32(String(cString: value)), berth_nsexec_linked() == 1 else {
            let text = Array("berthd init: not started by berthd\n".utf8)
            _ = write(2, text, text.count)
            exit(125)
        }
        unsetenv(BERTH_INIT_ENV)
        let channel = InitChannel(fd: fd)
        do {
            try run(channel)
        } catch {
            try? channel.send(.error, Array(error.message.utf8))
            _exit(error.cliExitCode == 125 ? 1 : error.cliExitCode)
        }
    }

    private static func run(_ channel: InitChannel) throws(RuntimeError) -> Never {
        guard let message = try channel.receive() else { _exit(1) }  // the creator went away
        guard message.kind == .config else { throw RuntimeError.protocolViolation("init expected its configuration") }
        let config: InitConfig
        do {
            config = try InitConfig(jsonDocument: message.payload)
        } catch {
            throw RuntimeError.protocolViolation("init could not read its configuration: \(error)")
        }
        let spec = config.spec
        guard let process = spec.process, let arguments = process.args, let command = arguments.first else {
            throw RuntimeError.invalid("the process has no args")
        }
        // A process joining a running container is already in its namespaces, whose root and
        // working directory setns gave it; a new container is set up here.
        if !config.joinsRunningContainer { try setUpContainer(spec, cgroup: config.cgroup) }
        if process.terminal == true {
            try openTerminal(channel, consoleSocket: config.consoleSocketDescriptor, bindConsole: !config.joinsRunningContainer)
        }
        if let adjustment = process.oomScoreAdj {
            try writeFile("/proc/self/oom_score_adj", String(adjustment), what: "oom_score_adj")
        }
        for limit in process.rlimits ?? [] { try apply(limit) }

        let environment = process.env ?? []
        let executable = try lookUp(command, path: environment.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? "")
        // Without no_new_privs, loading a filter takes CAP_SYS_ADMIN: load it while init still has
        // it (the filter allows what init does next). With no_new_privs, load it last.
        let filter = config.seccompProgram
        let noNewPrivileges = process.noNewPrivileges == true
        if let filter, !noNewPrivileges { try SeccompProgram.load(filter) }
        let security = ProcessSecurity(process: process)
        try security.applyBeforeUser()
        try security.setUser()
        guard chdir(process.cwd) == 0 else {
            throw RuntimeError.system("chdir to cwd (\"\(process.cwd)\") set in config.json failed", errno)
        }
        // The working directory must be inside the container (CVE-2024-21626: a descriptor of the
        // host's left open would otherwise give the process a host directory).
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil, buffer.first == CChar(UInt8(ascii: "/")) else {
            throw RuntimeError.invalid("current working directory is outside of container mount namespace root")
        }
        try security.applyAfterUser()
        _ = berth_close_range_cloexec(3)

        try channel.send(.ready)
        if let descriptor = config.startFIFODescriptor {
            let fd = open("/proc/self/fd/\(descriptor)", O_WRONLY | O_CLOEXEC)  // blocks until `start` opens it
            guard fd >= 0 else { throw RuntimeError.system("open the start fifo", errno) }
            _ = write(fd, "0", 1)
            close(fd)
        } else {
            guard let start = try channel.receive() else { _exit(1) }  // the creator went away
            guard start.kind == .start else { throw RuntimeError.protocolViolation("init expected start") }
        }
        if let filter, noNewPrivileges { try SeccompProgram.load(filter) }
        if config.staysAsInit { SignalForwardingInit.run(executable, arguments: arguments, environment: environment, channel: channel) }
        berth_reset_signals()
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        execve(executable, argv, envp)
        throw RuntimeError(kind: .system, message: "exec \(executable): \(errnoText(errno))")
    }

    /// A new container's namespaces, root file system, sysctls, hostname and masks.
    private static func setUpContainer(_ spec: RuntimeSpec, cgroup: Cgroup?) throws(RuntimeError) {
        guard let root = spec.root?.path, root.hasPrefix("/") else { throw RuntimeError.invalid("the root path must be absolute") }
        if spec.linux?.namespaces?.contains(where: { $0.type == "network" && ($0.path ?? "").isEmpty }) == true {
            guard berth_loopback_up() == 0 else { throw RuntimeError.system("bring the loopback interface up", errno) }
        }
        let filesystem = RootFilesystem(spec: spec, root: root, cgroup: cgroup)
        try filesystem.prepare()
        for (key, value) in (spec.linux?.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            try writeFile("/proc/sys/" + key.replacing(".", with: "/"), value, what: "sysctl \(key)")
        }
        if let hostname = spec.hostname {
            guard berth_sethostname(hostname, hostname.utf8.count) == 0 else { throw RuntimeError.system("sethostname", errno) }
        }
        if let domainname = spec.domainname {
            guard berth_setdomainname(domainname, domainname.utf8.count) == 0 else {
                throw RuntimeError.system("setdomainname", errno)
            }
        }
        try filesystem.finish()
    }

    /// A terminal from the container's own devpts becomes the process's stdin, stdout, stderr
    /// and controlling terminal (and, in a new container, `/dev/console`); its master goes to
    /// the creator over the init socket, or over `consoleSocket` (`berth-runtime --console-socket`).
    private static func openTerminal(_ channel: InitChannel, consoleSocket: Int32?, bindConsole: Bool) throws(RuntimeError) {
        var master: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        guard berth_open_pty(&master, &name, name.count) == 0 else { throw RuntimeError.system("open a terminal in the container", errno) }
        defer { close(master) }
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let slave = open(slavePath, O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw RuntimeError.system("open \(slavePath)", errno) }
        if bindConsole {
            let console = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if console >= 0 { close(console) }
            guard Glibc.mount(slavePath, "/dev/console", nil, UInt(MS_BIND), nil) == 0 else {
                throw RuntimeError.system("bind \(slavePath) to /dev/console", errno)
            }
        }
        if let consoleSocket {
            // runc's console socket: the master, with the terminal's name as the message.
            let sent = Array(slavePath.utf8).withUnsafeBytes { berth_send_with_fd(consoleSocket, $0.baseAddress, $0.count, master) }
            close(consoleSocket)
            guard sent >= 0 else { throw RuntimeError.system("send the terminal to the console socket", errno) }
        } else {
            try channel.send(.console, descriptor: master)
        }
        for target: Int32 in 0...2 {
            guard dup2(slave, target) >= 0 else { throw RuntimeError.system("dup2 the terminal", errno) }
        }
        if slave > 2 { close(slave) }
        guard berth_make_controlling_terminal(0) == 0 else { throw RuntimeError.system("make the terminal controlling", errno) }
    }

    /// The executable `name` names, as Go's `exec.LookPath` finds it (runc's words on failure).
    static func lookUp(_ name: String, path: String) throws(RuntimeError) -> String {
        func check(_ candidate: String) -> Int32 {
            var info = stat()
            guard stat(candidate, &info) == 0 else { return errno }
            let mode = UInt32(info.st_mode)
            return mode & UInt32(S_IFMT) != UInt32(S_IFDIR) && mode & 0o111 != 0 ? 0 : EACCES
        }
        if name.contains("/") {
            let code = check(name)
            guard code == 0 else {
                let reason = code == EACCES ? errnoText(code) : "stat \(name): \(errnoText(code))"
                throw RuntimeError(kind: .invalidParameter, message: "exec: \"\(name)\": \(reason)")
            }
            return name
        }
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            if check(candidate) == 0 { return candidate }
        }
        throw RuntimeError(kind: .invalidParameter, message: "exec: \"\(name)\": executable file not found in $PATH")
    }

    private static let rlimitNumbers: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4, "RLIMIT_RSS": 5,
        "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9, "RLIMIT_LOCKS": 10,
        "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13, "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    private static func apply(_ limit: RuntimeSpec.Rlimit) throws(RuntimeError) {
        guard let resource = rlimitNumbers[limit.type] else { throw RuntimeError.invalid("unknown rlimit \(limit.type)") }
        var value = rlimit(rlim_cur: rlim_t(limit.soft), rlim_max: rlim_t(limit.hard))
        guard setrlimit(__rlimit_resource_t(UInt32(resource)), &value) == 0 else {
            throw RuntimeError.system("setrlimit \(limit.type)", errno)
        }
    }

    private static func writeFile(_ path: String, _ value: String, what: String) throws(RuntimeError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError.system(what, errno) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw RuntimeError.system(what, errno) }
    }
}
