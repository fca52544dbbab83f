import BerthCore
import BerthSync
import BerthTransport
import CBerthRuntime
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// A container's init, seen from its creator: created (namespaces entered, root file system
/// built, waiting), then started (its command execed), then exited. Its PID 1 is the creator's
/// own child; its exit is observed through a pidfd on the reactor, never `waitpid(-1)`.
///
/// The conversation with init is blocking (a few small messages while init sets up), so it runs
/// on `ContainerProcess.pool`, never on the cooperative pool.
public final class ContainerProcess: Sendable {
    /// Threads for creating and starting containers.
    static let pool = BlockingPool(name: "berth-init", threads: 4)

    /// PID 1 of the container, in the creator's pid namespace.
    public let pid: Int32
    /// The terminal's master when the process asked for one (`terminal: true`), else nil.
    public let console: Console?
    /// PID 1 held by its pidfd: signals and the exit go through it.
    private let handle: ProcessHandle
    /// A pidfd of PID 1 (the handle's): it names that process only.
    var pidfd: Int32 { handle.pidfd }
    private let channel: InitChannel
    /// Whether the conversation with init is still open (it closes at start).
    private let channelOpen = Locked(true)

    private init(pid: Int32, pidfd: Int32, channel: InitChannel, console: Console?) {
        self.pid = pid
        self.console = console
        self.handle = ProcessHandle(pid: pid, pidfd: pidfd)
        self.channel = channel
    }

    deinit {
        if channelOpen.withLock({ $0 }) { close(channel.fd) }
    }

    /// What the container's process reads and writes: descriptors of the creator that become
    /// its 0, 1 and 2 (the creator keeps its own and closes them when it likes).
    public struct Stdio: Sendable {
        public var input: Int32
        public var output: Int32
        public var error: Int32

        public init(input: Int32, output: Int32, error: Int32) {
            self.input = input
            self.output = output
            self.error = error
        }
    }

    /// Creates the container: spawns init from `binary`, which moves itself into `cgroup` (before
    /// it creates any namespace or child, so that everything it starts is inside), sends it the
    /// configuration, and returns once it is set up and waiting for `start`.
    ///
    /// - Parameters:
    ///   - spec: the configuration, its root an absolute path.
    ///   - startFIFO, consoleSocket: for `berth-runtime`: wait for start on this FIFO, send a
    ///     terminal's master to this socket.
    ///   - staysAsInit: `docker run --init`: init stays PID 1, runs the command as its child,
    ///     forwards signals to it and reaps zombies.
    ///   - whileInitStarts: blocking work done while init loads, before it takes its first
    ///     step (such as creating `cgroup`); a failure ends init and is thrown.
    public static func create(spec: RuntimeSpec, binary: InitBinary, stdio: Stdio, startFIFO: String? = nil,
                              consoleSocket: String? = nil, staysAsInit: Bool = false, cgroup: Cgroup? = nil,
                              whileInitStarts: (@Sendable () throws -> Void)? = nil) async throws -> ContainerProcess {
        try await pool.run {
            try createBlocking(spec: spec, binary: binary, stdio: stdio, startFIFO: startFIFO, consoleSocket: consoleSocket,
                               staysAsInit: staysAsInit, cgroup: cgroup, whileInitStarts: whileInitStarts)
        }
    }

    /// `create` on the calling thread, for a program with no cooperative pool to keep free
    /// (`berth-runtime`). Never call it from a task. `whileInitSetsUp` is blocking work done
    /// once init's pid is known, while init builds the container (such as recording the pid).
    public static func createBlocking(spec: RuntimeSpec, binary: InitBinary, stdio: Stdio, startFIFO: String? = nil,
                                      consoleSocket: String? = nil, staysAsInit: Bool = false, cgroup: Cgroup? = nil,
                                      whileInitStarts: (() throws -> Void)? = nil,
                                      whileInitSetsUp: ((Int32) throws -> Void)? = nil) throws -> ContainerProcess {
        let bootstrap = try Bootstrap(spec: spec)
        // The FIFO and the console socket are reached through descriptors (4, 5 in init):
        // after pivot_root their paths name nothing.
        let fifoDescriptor: Int32? = startFIFO == nil ? nil : 4
        let consoleDescriptor: Int32? = consoleSocket == nil ? nil : (startFIFO == nil ? 4 : 5)
        let configuration = try InitConfig(spec: spec, startFIFODescriptor: fifoDescriptor, consoleSocketDescriptor: consoleDescriptor,
                                           staysAsInit: staysAsInit, cgroup: cgroup).jsonDocument
        var passing: [Int32] = []
        if let startFIFO {
            let fd = open(startFIFO, BERTH_O_PATH | O_CLOEXEC)
            guard fd >= 0 else { throw RuntimeError.system("open \(startFIFO)", errno) }
            passing.append(fd)
        }
        defer { for fd in passing { close(fd) } }
        if let consoleSocket { passing.append(try ConsoleSocket.connect(to: consoleSocket)) }
        return try launch(bootstrap: bootstrap, configuration: configuration, binary: binary, stdio: stdio, passing: passing,
                          cgroup: cgroup, whileInitStarts: whileInitStarts, whileInitSetsUp: whileInitSetsUp)
    }

    /// Runs `process` in the running `container`: a new process that joins the namespaces of
    /// the container's `namespaces` list (at once through its pidfd where the kernel can), its
    /// `cgroup`, runs under `seccomp`, and waits for `start`. Its working directory
    /// is inside the container's root. A container that is not running is a conflict.
    public static func exec(_ process: RuntimeSpec.Process, in container: ContainerProcess, namespaces: [RuntimeSpec.Namespace],
                            seccomp: RuntimeSpec.Seccomp?, binary: InitBinary, stdio: Stdio, consoleSocket: String? = nil,
                            cgroup: Cgroup? = nil) async throws -> ContainerProcess {
        try await exec(process, container: (container.pid, container.pidfd), namespaces: namespaces, seccomp: seccomp,
                       binary: binary, stdio: stdio, consoleSocket: consoleSocket, throughPidfd: true, cgroup: cgroup)
    }

    /// `exec` into a container known by the pid of its PID 1 (`berth-runtime exec`, which did not
    /// create it). `startTime` (field 22 of `/proc/PID/stat`, recorded at creation) tells the
    /// container from a process that took its pid since.
    public static func exec(_ process: RuntimeSpec.Process, inContainerWithPid pid: Int32, startTime: UInt64?,
                            namespaces: [RuntimeSpec.Namespace], seccomp: RuntimeSpec.Seccomp?, binary: InitBinary, stdio: Stdio,
                            consoleSocket: String? = nil, cgroup: Cgroup? = nil) async throws -> ContainerProcess {
        try await pool.run {
            try execBlocking(process, inContainerWithPid: pid, startTime: startTime, namespaces: namespaces, seccomp: seccomp,
                             binary: binary, stdio: stdio, consoleSocket: consoleSocket, cgroup: cgroup)
        }
    }

    /// `exec(_:inContainerWithPid:…)` on the calling thread (see `createBlocking`).
    public static func execBlocking(_ process: RuntimeSpec.Process, inContainerWithPid pid: Int32, startTime: UInt64?,
                                    namespaces: [RuntimeSpec.Namespace], seccomp: RuntimeSpec.Seccomp?, binary: InitBinary,
                                    stdio: Stdio, consoleSocket: String? = nil, cgroup: Cgroup? = nil) throws -> ContainerProcess {
        let pidfd = berth_pidfd_open(pid)
        guard pidfd >= 0 else { throw RuntimeError(kind: .conflict, message: "container is not running") }
        defer { close(pidfd) }
        if let startTime, ProcessStat(pid: pid)?.startTime != startTime {
            throw RuntimeError(kind: .conflict, message: "container is not running")
        }
        return try execBlocking(process, container: (pid, pidfd), namespaces: namespaces, seccomp: seccomp, binary: binary,
                                stdio: stdio, consoleSocket: consoleSocket, throughPidfd: true, cgroup: cgroup)
    }

    /// `exec`, with the pidfd join optional (to test the namespace files, which kernels before 5.8 need).
    static func exec(_ process: RuntimeSpec.Process, container: (pid: Int32, pidfd: Int32), namespaces: [RuntimeSpec.Namespace],
                     seccomp: RuntimeSpec.Seccomp?, binary: InitBinary, stdio: Stdio, consoleSocket: String? = nil,
                     throughPidfd: Bool, cgroup: Cgroup?) async throws -> ContainerProcess {
        try await pool.run {
            try execBlocking(process, container: container, namespaces: namespaces, seccomp: seccomp, binary: binary, stdio: stdio,
                             consoleSocket: consoleSocket, throughPidfd: throughPidfd, cgroup: cgroup)
        }
    }

    private static func execBlocking(_ process: RuntimeSpec.Process, container: (pid: Int32, pidfd: Int32),
                                     namespaces: [RuntimeSpec.Namespace], seccomp: RuntimeSpec.Seccomp?, binary: InitBinary,
                                     stdio: Stdio, consoleSocket: String?, throughPidfd: Bool, cgroup: Cgroup?) throws -> ContainerProcess {
        var spec = RuntimeSpec()
        spec.process = process
        var linux = RuntimeSpec.Linux()
        linux.seccomp = seccomp
        spec.linux = linux
        // In init: 4 is the container's pidfd, 5… the namespace files, then the console socket.
        let configuration = try InitConfig(spec: spec, consoleSocketDescriptor: consoleSocket == nil ? nil : Int32(5 + namespaces.count),
                                           joinsRunningContainer: true).jsonDocument
        let files = try namespaces.map { namespace throws(RuntimeError) -> (type: UInt32, file: String) in
            guard let flag = Bootstrap.flags[namespace.type], let file = Self.namespaceFiles[namespace.type] else {
                throw RuntimeError.invalid("unknown namespace type \"\(namespace.type)\"")
            }
            return (UInt32(bitPattern: flag), file)
        }
        // The namespace files, opened while the container is known to be alive (its pidfd
        // answers), so that they are its own and not those of a process that took its pid.
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        for (_, file) in files {
            let fd = open("/proc/\(container.pid)/ns/\(file)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw RuntimeError(kind: .conflict, message: "container is not running") }
            opened.append(fd)
        }
        guard berth_pidfd_send_signal(container.pidfd, 0) == 0 else {
            throw RuntimeError(kind: .conflict, message: "container is not running")
        }
        var console: [Int32] = []
        if let consoleSocket { console.append(try ConsoleSocket.connect(to: consoleSocket)) }
        defer { for fd in console { close(fd) } }
        let paths = files.enumerated().map { (type: $0.element.type, path: "/proc/self/fd/\($0.offset + 5)") }
        let bootstrap = Bootstrap(joining: paths, pidfd: throughPidfd ? 4 : -1)
        return try launch(bootstrap: bootstrap, configuration: configuration, binary: binary, stdio: stdio,
                          passing: [container.pidfd] + opened + console, cgroup: cgroup)
    }

    /// The files under `/proc/PID/ns/` by the OCI spec's namespace names.
    static let namespaceFiles = [
        "pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts", "user": "user", "cgroup": "cgroup",
    ]

    /// Spawns init with `passing` as its descriptors 4…, has it take the namespace steps of
    /// `bootstrap`, sends it `configuration`, and returns once it reports ready.
    private static func launch(bootstrap: Bootstrap, configuration: [UInt8], binary: InitBinary, stdio: Stdio, passing: [Int32],
                               cgroup: Cgroup?, whileInitStarts: (() throws -> Void)? = nil,
                               whileInitSetsUp: ((Int32) throws -> Void)? = nil) throws -> ContainerProcess {
        var bootstrap = bootstrap
        if let cgroup { bootstrap.join(cgroup) }
        guard bootstrap.cgroups.count + bootstrap.joins.count <= Int(BERTH_JOIN_MAX) else {
            throw RuntimeError.invalid("too many cgroup hierarchies and namespaces to join")
        }
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw RuntimeError.system("socketpair", errno)
        }
        let channel = InitChannel(fd: pair[0])
        var spawnedPidfd: Int32 = -1
        let spawned: Int32
        do {
            defer { close(pair[1]) }
            spawned = try spawn(binary: binary, stdio: stdio, initSocket: pair[1], passing: passing, pidfd: &spawnedPidfd)
        } catch {
            close(pair[0])
            throw error
        }
        // From here on a failure kills what was started and collects it.
        var initPidfd = spawnedPidfd
        func abandon(_ error: any Error) -> any Error {
            _ = berth_pidfd_send_signal(initPidfd, SIGKILL)
            var status: Int32 = 0, signal: Int32 = 0
            _ = berth_pidfd_wait(initPidfd, 0, &status, &signal)
            if initPidfd != spawnedPidfd {
                _ = berth_pidfd_send_signal(spawnedPidfd, SIGKILL)
                _ = berth_pidfd_wait(spawnedPidfd, 0, &status, &signal)
                close(spawnedPidfd)
            }
            close(initPidfd)
            close(pair[0])
            return error
        }
        do {
            try whileInitStarts?()
            try channel.send(.bootstrap, bootstrap.payload)
            // The configuration waits in the socket for init's PID 1, which reads it once the
            // constructor has read the bootstrap (exactly its bytes) and cloned it, and says
            // nothing before the constructor has sent its pid. A constructor that failed and
            // exited refuses it; its error is read next.
            let configurationSent = (try? channel.send(.config, configuration)) != nil
            guard let reply = try channel.receive() else { throw RuntimeError.protocolViolation("init exited before it reported its pid") }
            if reply.kind == .error { throw RuntimeError(kind: .system, message: String(decoding: reply.payload, as: UTF8.self)) }
            guard reply.kind == .pid, reply.payload.count == 4 else { throw RuntimeError.protocolViolation("init sent no pid") }
            let pid = Int32(bitPattern: reply.payload.withUnsafeBytes { $0.load(as: UInt32.self) })
            if pid != spawned {
                // The constructor cloned PID 1 of a new pid namespace (our child, by CLONE_PARENT)
                // and exited: collect that intermediate process.
                let fd = berth_pidfd_open(pid)
                guard fd >= 0 else { throw RuntimeError.system("pidfd_open \(pid)", errno) }
                initPidfd = fd
                var status: Int32 = 0, signal: Int32 = 0
                _ = berth_pidfd_wait(spawnedPidfd, 0, &status, &signal)
                close(spawnedPidfd)
                spawnedPidfd = fd
            }
            guard configurationSent else { throw RuntimeError.protocolViolation("init exited before it read its configuration") }
            try whileInitSetsUp?(pid)
            var console: Console?
            while true {
                guard let message = try channel.receive() else { throw RuntimeError.protocolViolation("init exited during its set-up") }
                if message.kind == .console, let descriptor = message.descriptor {
                    console = Console(descriptor: descriptor)
                    continue
                }
                if let descriptor = message.descriptor { close(descriptor) }
                if message.kind == .error { throw RuntimeError(kind: .system, message: String(decoding: message.payload, as: UTF8.self)) }
                guard message.kind == .ready else { throw RuntimeError.protocolViolation("init did not report ready") }
                break
            }
            return ContainerProcess(pid: pid, pidfd: initPidfd, channel: channel, console: console)
        } catch {
            throw abandon(error)
        }
    }

    /// Starts `berthd init` from the memfd, with the container's stdio as 0, 1, 2, the init
    /// socket as 3 and `passing` as 4…, in a session of its own.
    private static func spawn(binary: InitBinary, stdio: Stdio, initSocket: Int32, passing: [Int32], pidfd: inout Int32) throws -> Int32 {
        let spawned = ProcessSpawn.start(.descriptor(binary.fd), arguments: ["berthd", "init"],
                                         environment: ["\(BERTH_INIT_ENV)=3"],
                                         descriptors: [stdio.input, stdio.output, stdio.error, initSocket] + passing, newSession: true)
        guard spawned.pid > 0 else { throw RuntimeError.system("start the container's init", spawned.error) }
        pidfd = spawned.pidfd
        return spawned.pid
    }

    /// Has init exec the container's command. Returns once it has, or throws what init
    /// reported (`exec: "nosuch": executable file not found in $PATH`); then the container has
    /// exited, and `wait` collects it.
    public func start() async throws {
        try await Self.pool.run { [self] in try startBlocking() }
    }

    /// `start` on the calling thread (see `createBlocking`).
    public func startBlocking() throws {
        try channel.send(.start)
        let reply = try channel.receive()
        channelOpen.withLock { open in
            open = false
            close(channel.fd)
        }
        // The socket closed at exec: the command runs.
        guard let reply else { return }
        guard reply.kind == .error else { throw RuntimeError.protocolViolation("init sent \(reply.kind) at start") }
        throw RuntimeError(kind: .invalidParameter, message: String(decoding: reply.payload, as: UTF8.self))
    }

    /// Waits on the calling thread until PID 1 exits, for a program whose only waiter this is
    /// (see `createBlocking`); tasks waiting with `wait` get the same status.
    public func waitBlocking() throws(RuntimeError) -> ExitStatus { try handle.waitBlocking() }

    /// Sends `signal` to PID 1. A container that has exited is `notFound`.
    public func signal(_ number: Int32) throws(RuntimeError) {
        do throws(RuntimeError) {
            try handle.signal(number)
        } catch {
            if error.kind == .notFound { throw RuntimeError(kind: .notFound, message: "the container's process has exited") }
            throw error
        }
    }

    /// Waits until PID 1 exits and returns how. Any number of callers may wait; each gets the
    /// status, and a cancelled one stops waiting without disturbing the others.
    public func wait() async throws -> ExitStatus { try await handle.wait() }
}
