import BerthCore
import BerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `berth-runtime`: Berth's runtime with runc's command line, for any OCI consumer (Docker's own
/// containerd shim included). `create` leaves the container's init waiting on `exec.fifo` and
/// exits (init is then the shim's, which is a subreaper); `start` opens the FIFO; `state`,
/// `kill`, `delete`, `exec`, `pause`, `resume`, `ps`, `update`, `features`, `run`, `list` and
/// `spec` do what runc's do. Errors go to stderr and, with `--log`, to the log file in the
/// chosen format, where the shim looks for them.
struct RuntimeCLI {
    let line: RuntimeCommandLine

    static let version = "0.1.0"

    /// Runs the command line and returns the process's exit status.
    static func main(_ arguments: [String]) -> Int32 {
        let line: RuntimeCommandLine
        do {
            line = try RuntimeCommandLine.parse(arguments)
        } catch {
            writeStandardError("berth-runtime: \(error.description)\n")
            return 1
        }
        let cli = RuntimeCLI(line: line)
        do {
            return try cli.run()
        } catch {
            let message = ErrorKind.classify(error).message
            cli.logError(message)
            writeStandardError("berth-runtime: \(message)\n")
            return 1
        }
    }

    func run() throws -> Int32 {
        if line.flag("systemd-cgroup") {
            throw RuntimeError(kind: .notImplemented, message: "the systemd cgroup driver is not supported: use cgroupfs")
        }
        switch line.command {
        case "version":
            print("berth-runtime version \(Self.version)\ncommit: unknown\nspec: 1.0.2")
            return 0
        case "help":
            print(Self.usage, terminator: "")
            return 0
        case "create":
            _ = try create(try line.containerID())
            return 0
        case "start":
            try start(try line.containerID())
            return 0
        case "run":
            return try runContainer(try line.containerID())
        case "state":
            try state(try line.containerID())
            return 0
        case "kill":
            try kill(try line.containerID())
            return 0
        case "delete":
            try delete(try line.containerID())
            return 0
        case "exec":
            return try exec(try line.containerID())
        case "pause", "resume":
            try pauseOrResume(try line.containerID(), pause: line.command == "pause")
            return 0
        case "ps":
            try ps(try line.containerID())
            return 0
        case "list":
            try list()
            return 0
        case "update":
            try update(try line.containerID())
            return 0
        case "features":
            print(Self.features)
            return 0
        case "spec":
            try spec()
            return 0
        case "events":
            try events(try line.containerID())
            return 0
        default:
            throw RuntimeError(kind: .notImplemented, message: "the \(line.command) command is not supported")
        }
    }

    // MARK: Lifecycle

    func directory(_ id: String) throws(RuntimeError) -> ContainerDirectory {
        try ContainerDirectory(root: line.root, id: id)
    }

    /// What init runs from: this executable through a read-only overlay, no copy made. Its
    /// empty lower layer lies in the root under a name no container ID can take.
    func initBinary() throws -> InitBinary {
        try InitBinary.sealedView(emptyDirectory: line.root + "/@empty")
    }

    /// The bundle's configuration, its root made absolute.
    private func loadSpec(bundle: String) throws(RuntimeError) -> RuntimeSpec {
        guard let text = SmallFile.text(bundle + "/config.json") else {
            throw RuntimeError.invalid("JSON specification file config.json not found in \(bundle)")
        }
        var spec: RuntimeSpec
        do {
            spec = try RuntimeSpec(jsonDocument: Array(text.utf8))
        } catch {
            throw RuntimeError.invalid("config.json: \(error)")
        }
        guard var root = spec.root?.path, !root.isEmpty else { throw RuntimeError.invalid("config.json: root.path is required") }
        if !root.hasPrefix("/") { root = bundle + "/" + root }
        var info = stat()
        guard stat(root, &info) == 0, UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFDIR) else {
            throw RuntimeError.invalid("rootfs (\"\(root)\") does not exist")
        }
        spec.root?.path = root
        return spec
    }

    @discardableResult
    private func create(_ id: String) throws -> (process: ContainerProcess, record: ContainerDirectory.Record) {
        let container = try directory(id)
        let bundle = absolute(line.options["bundle"] ?? ".")
        let spec = try loadSpec(bundle: bundle)
        let cgroupPath = spec.linux?.cgroupsPath.map { $0.hasPrefix("/") || $0.contains(":") ? $0 : "/" + $0 } ?? "/" + id
        let cgroup = try Cgroup(path: cgroupPath)
        try container.create()
        do {
            let binary = try initBinary()
            let process: ContainerProcess
            var record: ContainerDirectory.Record?
            do {
                // The cgroup is made while init loads, the state recorded while it builds the
                // container.
                let resources = spec.linux?.resources
                process = try ContainerProcess.createBlocking(
                    spec: spec, binary: binary, stdio: .init(input: 0, output: 1, error: 2), startFIFO: container.fifo,
                    consoleSocket: line.options["console-socket"], cgroup: cgroup, whileInitStarts: { try cgroup.create(resources) },
                    whileInitSetsUp: { pid in
                        let created = ContainerDirectory.Record(
                            id: id, pid: pid, startTime: ProcessStat(pid: pid)?.startTime ?? 0, bundle: bundle,
                            rootfs: spec.root?.path ?? "", created: Timestamp.rfc3339(nanoseconds: Timestamp.nowNanoseconds()),
                            spec: spec, cgroup: cgroup)
                        try container.save(created)
                        record = created
                    })
            } catch {
                try? cgroup.destroy()
                throw error
            }
            // createBlocking returns only after whileInitSetsUp has run.
            guard let record else { throw RuntimeError(kind: .system, message: "init reported ready before its pid") }
            if let pidFile = line.options["pid-file"] {
                try DurableFile.write(Array(String(process.pid).utf8), to: absolute(pidFile), flushed: false)
            }
            return (process, record)
        } catch {
            container.remove()
            throw error
        }
    }

    /// Opens the FIFO init waits on: its open completes init's, which then execs. Polls, so
    /// that an init that died does not leave `start` waiting forever.
    private func start(_ id: String) throws {
        let container = try directory(id)
        try start(container, record: try container.load())
    }

    private func start(_ container: ContainerDirectory, record: ContainerDirectory.Record) throws {
        switch container.status(of: record) {
        case .created: break
        case .stopped: throw RuntimeError(kind: .conflict, message: "cannot start a container that has stopped")
        case .running, .paused: throw RuntimeError(kind: .conflict, message: "cannot start an already running container")
        }
        let fifo = container.fifo
        let fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError.system("open exec fifo", errno) }
        defer { close(fd) }
        for _ in 0..<1_000 {
            var byte: UInt8 = 0
            if read(fd, &byte, 1) == 1 {
                unlink(fifo)
                return
            }
            guard Glibc.kill(record.pid, 0) == 0 else {
                throw RuntimeError(kind: .conflict, message: "container's init exited before start")
            }
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&ready, 1, 10)
        }
        throw RuntimeError(kind: .system, message: "timed out waiting for the container's init")
    }

    /// create, start, wait, delete; the container's status is the exit status.
    private func runContainer(_ id: String) throws -> Int32 {
        let (process, record) = try create(id)
        let container = try directory(id)
        try start(container, record: record)
        if line.flag("detach") { return 0 }
        // Init is this process's own child: its exit comes through its pidfd.
        let exit = try process.waitBlocking()
        try delete(container, record: record, force: true)
        return exit.code
    }

    private func state(_ id: String) throws {
        let container = try directory(id)
        let record = try container.load()
        let status = container.status(of: record)
        let state = OCIState(ociVersion: record.spec.ociVersion, id: id, pid: status == .stopped ? 0 : record.pid,
                             status: status.rawValue, bundle: record.bundle, rootfs: record.rootfs, created: record.created, owner: "")
        print(String(decoding: state.jsonDocument, as: UTF8.self))
    }

    private func kill(_ id: String) throws {
        let container = try directory(id)
        let record = try container.load()
        let signal = try Self.signal(line.arguments.dropFirst().first ?? "SIGTERM")
        guard container.status(of: record) != .stopped else { throw RuntimeError(kind: .conflict, message: "container not running") }
        if line.flag("all"), let cgroup = record.cgroup {
            try cgroup.kill(signal)
        } else {
            guard Glibc.kill(record.pid, signal) == 0 else { throw RuntimeError.system("kill", errno) }
        }
    }

    private func delete(_ id: String) throws {
        let container = try directory(id)
        let record: ContainerDirectory.Record
        do {
            record = try container.load()
        } catch {
            // A failed create leaves at most an empty directory.
            if error.kind == .notFound { container.remove() }
            throw error
        }
        try delete(container, record: record, force: line.flag("force"))
    }

    private func delete(_ container: ContainerDirectory, record: ContainerDirectory.Record, force: Bool) throws {
        let id = container.id
        let status = container.status(of: record)
        if status == .running || status == .paused, !force {
            throw RuntimeError(kind: .conflict, message: "cannot delete container \(id) that is not stopped: \(status.rawValue)")
        }
        if status != .stopped {
            // A created container goes without --force, as runc lets it.
            let pid = record.pid
            if let cgroup = record.cgroup { try? cgroup.kill(SIGKILL) } else { _ = Glibc.kill(pid, SIGKILL) }
            for _ in 0..<1000 where ProcessStat.isRunning(pid, startedAt: record.startTime) {
                usleep(10_000)
            }
        }
        if let cgroup = record.cgroup {
            try cgroup.destroy()
        }
        container.remove()
    }

    // MARK: Helpers

    func logError(_ message: String) {
        guard let log = line.log else { return }
        let time = Timestamp.rfc3339(nanoseconds: Timestamp.nowNanoseconds())
        let entry = line.logFormat == "json"
            ? "{\"level\":\"error\",\"msg\":\(JSONText.quoted(message)),\"time\":\"\(time)\"}\n"
            : "time=\"\(time)\" level=error msg=\(JSONText.quoted(message))\n"
        let fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(entry.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    static func writeStandardError(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path == "." ? cwd : cwd + "/" + path
    }

    /// A signal by number (`9`) or name (`KILL`, `SIGKILL`, any case).
    static func signal(_ text: String) throws(RuntimeError) -> Int32 {
        if let number = Int32(text), number > 0, number < 65 { return number }
        let name = text.uppercased().hasPrefix("SIG") ? String(text.uppercased().dropFirst(3)) : text.uppercased()
        guard let number = signals[name] else { throw RuntimeError.invalid("unknown signal \"\(text)\"") }
        return number
    }

    private static let signals: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT, "BUS": SIGBUS,
        "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV, "USR2": SIGUSR2, "PIPE": SIGPIPE, "ALRM": SIGALRM,
        "TERM": SIGTERM, "STKFLT": SIGSTKFLT, "CHLD": SIGCHLD, "CONT": SIGCONT, "STOP": SIGSTOP, "TSTP": SIGTSTP,
        "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "XCPU": SIGXCPU, "XFSZ": SIGXFSZ, "VTALRM": SIGVTALRM,
        "PROF": SIGPROF, "WINCH": SIGWINCH, "IO": SIGIO, "PWR": SIGPWR, "SYS": SIGSYS,
    ]

    /// runc's `state` output.
    struct OCIState: JSONWritable {
        let ociVersion: String
        let id: String
        let pid: Int32
        let status: String
        let bundle: String
        let rootfs: String
        let created: String
        let owner: String

        /// Keys in order, as they were when Foundation's encoder sorted them.
        func write(json writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("bundle", bundle)
            writer.member("created", created)
            writer.member("id", id)
            writer.member("ociVersion", ociVersion)
            writer.member("owner", owner)
            writer.member("pid", pid)
            writer.member("rootfs", rootfs)
            writer.member("status", status)
            writer.endObject()
        }
    }
}
