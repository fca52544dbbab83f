import BerthAPI
import BerthCore
import BerthImages
import BerthRuntime
import BerthSync
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

/// One container: its record (configuration and lifecycle), its current run (process, cgroup,
/// stdio), its log, and whoever waits for it. An actor: every change of state goes through the
/// lifecycle's events here, one at a time, and is persisted before it is announced.
actor Container {
    let id: String
    private(set) var record: ContainerRecord
    private(set) var hostConfig: HostConfig
    let paths: ContainerRecord.Paths
    let log: JSONFileLog
    let environment: ContainerEnvironment
    private var policy: RestartPolicy

    /// The process that runs now, and what serves it.
    private struct Run {
        let process: ContainerProcess
        let cgroup: Cgroup
        /// The process's configuration, which an exec starts from, and its root's path.
        let spec: RuntimeSpec
        let root: String
        let copier: OutputCopier
        /// Where attached clients' input goes: the stdin pipe, or the terminal's master.
        let input: PipeChannel?
        /// Ends once the process has exited and its output is logged.
        let ended: OneShot<Int32>
    }

    private var run: Run?
    /// Clients attached before a start, for the next run.
    private var pendingAttachments: [Attachment] = []
    /// Settled with the exit code at the next exit, then replaced.
    private var nextExit = OneShot<Int32>()
    /// Settled with the last exit code when the container is removed.
    let removal = OneShot<Int32>()
    private var restartTask: Task<Void, Never>?
    /// The execs of the current run.
    private(set) var execIDs: [String] = []
    /// Settled with the next run's input channel once it starts (nil if it has none or fails):
    /// a client attached before the start sends its input there.
    private var inputReady = OneShot<PipeChannel?>()

    init(record: ContainerRecord, hostConfig: HostConfig, paths: ContainerRecord.Paths, environment: ContainerEnvironment) throws {
        id = record.ID
        self.record = record
        self.hostConfig = hostConfig
        self.paths = paths
        self.environment = environment
        policy = try RestartPolicy(name: hostConfig.RestartPolicy.Name, maximumRetryCount: hostConfig.RestartPolicy.MaximumRetryCount)
        let options = try JSONFileLog.options(hostConfig.LogConfig.Config ?? [:])
        log = JSONFileLog(path: paths.log, maxSize: options.maxSize, maxFiles: options.maxFiles)
    }

    var name: String { record.Name }
    var lifecycle: ContainerLifecycle { record.State }
    var logsEnabled: Bool { hostConfig.LogConfig.Type != "none" }

    /// The attributes every event of this container carries: its image, name and labels.
    var eventAttributes: [String: String] {
        var attributes = record.Config.Labels ?? [:]
        attributes["image"] = record.Config.Image
        attributes["name"] = record.Name
        return attributes
    }

    private func publish(_ action: String, _ extra: [String: String] = [:]) async {
        await environment.publish(action, id, eventAttributes.merging(extra) { $1 })
    }

    private func persist() async {
        let record = record, hostConfig = hostConfig, paths = paths
        do {
            try await BlockingPool.shared.run { try ContainerRecord.save(record, hostConfig: hostConfig, paths: paths) }
        } catch {
            // The state in memory stays right; the next change writes it again.
        }
    }

    func rename(to newName: String) async {
        let old = record.Name
        record.Name = newName
        await persist()
        await publish("rename", ["oldName": "/" + old])
    }

    /// `docker update`: the new limits are checked, applied to the running process's cgroup,
    /// and kept for later runs; a new restart policy applies from the next exit.
    func update(_ update: ContainerUpdate) async throws {
        var host = hostConfig
        // Zero is what the CLI sends for a limit it leaves alone.
        if let value = update.Memory, value != 0 { host.Memory = value }
        if let value = update.MemorySwap, value != 0 { host.MemorySwap = value }
        if let value = update.NanoCpus, value != 0 { host.NanoCpus = value }
        if let value = update.CpuShares, value != 0 { host.CpuShares = value }
        if let value = update.CpuQuota, value != 0 { host.CpuQuota = value }
        if let value = update.CpuPeriod, value != 0 { host.CpuPeriod = value }
        if let value = update.CpusetCpus, !value.isEmpty { host.CpusetCpus = value }
        if let value = update.PidsLimit { host.PidsLimit = value }
        if let policy = update.RestartPolicy, !policy.Name.isEmpty {
            if host.AutoRemove, policy.Name != "no" {
                throw APIError.invalidParameter("Restart policy cannot be updated because AutoRemove is enabled for the container")
            }
            self.policy = try RestartPolicy(name: policy.Name, maximumRetryCount: policy.MaximumRetryCount)
            host.RestartPolicy = policy
        }
        let specification = ContainerSpec(id: id, config: record.Config, hostConfig: host)
        try specification.check()
        if let current = run {
            var resources = try specification.resources()
            // A pids limit of 0 or -1 lifts it (the cgroup keeps a value left out).
            if let pids = update.PidsLimit, pids <= 0 { resources.pids = .init(limit: -1) }
            let apply = resources
            try await BlockingPool.shared.run { try current.cgroup.update(apply) }
        }
        hostConfig = host
        await persist()
        await publish("update")
    }

    // MARK: Starting

    /// Starts the container; false if it runs already.
    func start() async throws -> Bool {
        guard try record.State.beginStart(id: id) else { return false }
        restartTask?.cancel()
        restartTask = nil
        do {
            try await launch()
        } catch {
            let message = ErrorKind.classify(error).message
            let code = (error as? ContainerStartError)?.code ?? (error as? RuntimeError).map { $0.cliExitCode == 125 ? 128 : $0.cliExitCode } ?? 128
            record.State.startFailed(message, code: code, at: Timestamp.nowNanoseconds())
            await persist()
            inputReady.settle(nil)
            inputReady = OneShot()
            for attachment in pendingAttachments { attachment.finish() }
            pendingAttachments = []
            settleExit(code)
            if hostConfig.AutoRemove {
                let id = id, environment = environment
                Task { await environment.autoRemove(id) }
            }
            throw error
        }
        return true
    }

    /// Mounts the root, writes the container's files, creates and starts the process, and
    /// starts copying its output and watching for its exit.
    private func launch() async throws {
        let root = try await environment.images.mountContainerLayer(id)
        let spec: RuntimeSpec, cgroup: Cgroup
        do {
            (spec, cgroup) = try await prepare(root: root)
        } catch {
            try? await environment.images.unmountContainerLayer(id)
            throw error
        }
        let streams = try ProcessStreams(terminal: record.Config.Tty, input: record.Config.OpenStdin)
        let stdio = streams.stdio
        let process: ContainerProcess
        do {
            let resources = spec.linux?.resources
            process = try await ContainerProcess.create(spec: spec, binary: environment.initBinary, stdio: stdio,
                                                        staysAsInit: hostConfig.Init == true, cgroup: cgroup,
                                                        whileInitStarts: { try cgroup.create(resources) })
        } catch {
            try? await BlockingPool.shared.run { try cgroup.destroy() }
            try? await environment.images.unmountContainerLayer(id)
            throw error
        }
        if let console = process.console, let size = hostConfig.ConsoleSize, size.count == 2, size[0] > 0, size[1] > 0 {
            try? console.resize(rows: UInt16(clamping: size[0]), columns: UInt16(clamping: size[1]))
        }
        let (channels, input) = try streams.channels(console: process.console, input: record.Config.OpenStdin)
        let copier = OutputCopier(log: logsEnabled ? log : nil, streams: channels.count)
        if logsEnabled { log.beginRun() }
        for attachment in pendingAttachments { _ = copier.attach(attachment) }
        pendingAttachments = []
        for (channel, stream) in channels { Task { await copier.copy(channel, as: stream) } }
        let current = Run(process: process, cgroup: cgroup, spec: spec, root: root, copier: copier, input: input, ended: OneShot())
        run = current
        inputReady.settle(input)
        do {
            try await process.start()
        } catch {
            // The command did not run: init has exited; collect it and its (empty) output.
            _ = try? await process.wait()
            await copier.finished()
            await cleanUp(current)
            throw error
        }
        record.State.started(pid: process.pid, at: Timestamp.nowNanoseconds())
        await persist()
        await publish("start")
        Task { await self.watch(current) }
    }

    /// The process's configuration, the container's files, and its cgroup, on the blocking pool.
    private func prepare(root: String) async throws -> (RuntimeSpec, Cgroup) {
        let network: ContainerSpec.Network
        switch try ContainerSpec.networkMode(hostConfig.NetworkMode) {
        case (_, let target?): network = .joined(try await environment.networkNamespace(target))
        case ("host", _): network = .host
        default: network = .isolated
        }
        let volumes = environment.volumes
        let specification = ContainerSpec(id: id, config: record.Config, hostConfig: hostConfig, volumes: record.Volumes ?? [],
                                          volumePath: { volumes.path($0) })
        let paths = paths
        let config = record.Config
        let cgroupPath = "\(environment.cgroupParent)/\(id)"
        let hostname = config.Hostname.isEmpty ? String(id.prefix(12)) : config.Hostname
        return try await BlockingPool.shared.run {
            let containerRoot = ContainerRoot(path: root)
            let user = try containerRoot.resolveUser(config.User)
            if !config.WorkingDir.isEmpty { try containerRoot.makeDirectories(config.WorkingDir) }
            // A volume that is still empty gets what the image has where it is mounted.
            for volume in specification.volumes where volume.copyImageData {
                let target = specification.volumePath(volume.name)
                if (try? listDirectory(target).isEmpty) == true { try containerRoot.copyDirectory(volume.destination, to: target) }
            }
            let hosts = network == .host ? (SmallFile.text("/etc/hosts") ?? "") : """
                127.0.0.1\tlocalhost
                ::1\tlocalhost ip6-localhost ip6-loopback
                fe00::0\tip6-localnet
                ff00::0\tip6-mcastprefix
                ff02::1\tip6-allnodes
                ff02::2\tip6-allrouters

                """
            try DurableFile.write(Array((hostname + "\n").utf8), to: paths.hostname, flushed: false)
            try DurableFile.write(Array(hosts.utf8), to: paths.hosts, flushed: false)
            try DurableFile.write(Array((SmallFile.text("/etc/resolv.conf") ?? "").utf8), to: paths.resolvConf, flushed: false)
            let files = ContainerSpec.Files(hostname: paths.hostname, hosts: paths.hosts, resolvConf: paths.resolvConf)
            let spec = try specification.runtimeSpec(root: root, user: user, files: files, network: network, cgroup: cgroupPath)
            return (spec, try Cgroup(path: cgroupPath))
        }
    }

    // MARK: Exits

    /// Waits for the run's process to exit and its output to be logged, then records the exit.
    private func watch(_ current: Run) async {
        let status = try? await current.process.wait()
        await current.copier.finished()
        let oomKilled = (try? await BlockingPool.shared.run { current.cgroup.oomKills }) ?? 0 > 0
        await cleanUp(current)
        let code = status?.code ?? 137
        let after = record.State.exited(code: code, oomKilled: oomKilled, at: Timestamp.nowNanoseconds(), policy: policy,
                                        autoRemove: hostConfig.AutoRemove)
        await persist()
        if oomKilled { await publish("oom") }
        await publish("die", ["exitCode": String(code)])
        current.ended.settle(code)
        settleExit(code)
        switch after {
        case .stay: break
        case .remove: await environment.autoRemove(id)
        case .restart(let delay):
            restartTask = Task {
                try? await Task.sleep(for: delay)
                guard !Task.isCancelled else { return }
                await self.restartByPolicy()
            }
        }
    }

    private func restartByPolicy() async {
        guard record.State.phase == .restarting else { return }
        restartTask = nil
        _ = try? await start()
    }

    /// Releases what the run held: its input, its cgroup, its root's mount.
    private func cleanUp(_ current: Run) async {
        current.input?.close()
        inputReady = OneShot()
        try? await BlockingPool.shared.run { try current.cgroup.destroy() }
        try? await environment.images.unmountContainerLayer(id)
        if run?.process === current.process { run = nil }
    }

    private func settleExit(_ code: Int32) {
        let waiters = nextExit
        nextExit = OneShot()
        waiters.settle(code)
    }

    // MARK: Signals

    /// `docker kill`: `signal` to PID 1 (thawing a paused container after a SIGKILL, so that it
    /// takes effect). A container that is not running is a conflict.
    func kill(_ signal: Int32) async throws {
        guard let current = run, record.State.hasProcess else {
            throw APIError.conflict("Container \(id) is not running")
        }
        if signal == SIGKILL { record.State.stopRequested(byUser: true) }
        await publish("kill", ["signal": String(signal)])
        try? current.process.signal(signal)
        guard signal == SIGKILL else { return }
        if record.State.phase == .paused { try? await BlockingPool.shared.run { try current.cgroup.thaw() } }
        // As dockerd, a SIGKILL is answered once the container has exited (and the exit is recorded).
        _ = await current.ended.value(within: .seconds(10))
    }

    /// `docker stop`: the stop signal, then SIGKILL after `timeout` seconds (-1: wait for ever).
    /// False if the container was not running.
    func stop(timeout: Int?, signal: Int32?, byUser: Bool = true) async throws -> Bool {
        if record.State.phase == .restarting {
            record.State.stopRequested(byUser: true)
            restartTask?.cancel()
            restartTask = nil
            record.State.restartAbandoned()
            await persist()
            return true
        }
        guard let current = run, record.State.hasProcess else { return false }
        record.State.stopRequested(byUser: byUser)
        let stopSignal = try signal ?? record.Config.StopSignal.flatMap { $0.isEmpty ? nil : try SignalName.parse($0) } ?? SIGTERM
        let seconds = timeout ?? record.Config.StopTimeout ?? 10
        if record.State.phase == .paused, stopSignal != SIGKILL {
            // A frozen process cannot act on a signal: thaw it, as dockerd does.
            try? await BlockingPool.shared.run { try current.cgroup.thaw() }
            try? record.State.unpaused()
        }
        await publish("kill", ["signal": String(stopSignal)])
        try? current.process.signal(stopSignal)
        if seconds >= 0, await current.ended.value(within: .seconds(seconds)) == nil {
            await publish("kill", ["signal": String(SIGKILL)])
            try? current.process.signal(SIGKILL)
            if record.State.phase == .paused { try? await BlockingPool.shared.run { try current.cgroup.thaw() } }
        }
        _ = await current.ended.value()
        await publish("stop")
        return true
    }

    func pause() async throws {
        guard let current = run else { throw APIError.conflict("Container \(id) is not running") }
        try record.State.paused()
        do {
            try await BlockingPool.shared.run { try current.cgroup.freeze() }
        } catch {
            try? record.State.unpaused()
            throw error
        }
        await persist()
        await publish("pause")
    }

    func unpause() async throws {
        guard let current = run else { throw APIError.conflict("Container \(id) is not paused") }
        try record.State.unpaused()
        try await BlockingPool.shared.run { try current.cgroup.thaw() }
        await persist()
        await publish("unpause")
    }

    // MARK: Exec and terminals

    /// What an exec joins: the running process, its configuration, cgroup and root. A container
    /// that is not running, is paused or restarting is a conflict with dockerd's words.
    func execContext() throws -> ExecContext {
        switch record.State.phase {
        case .paused: throw APIError.conflict("Container \(id) is paused, unpause the container before exec")
        case .restarting: throw APIError.conflict("Container \(id) is restarting, wait until the container is running")
        case .running:
            guard let current = run else { fallthrough }
            return ExecContext(container: current.process, spec: current.spec, cgroup: current.cgroup, root: current.root,
                               environment: record.Config.Env ?? [], user: record.Config.User)
        default: throw APIError.conflict("Container \(id) is not running")
        }
    }

    /// Sets the size of the container's terminal (`docker run -t`, the client's window).
    func resize(height: Int, width: Int) throws {
        guard let current = run, record.State.isRunning else { throw APIError.conflict("Container \(id) is not running") }
        guard let console = current.process.console else {
            throw APIError.conflict("cannot resize a container that has no terminal")
        }
        try console.resize(rows: UInt16(clamping: height), columns: UInt16(clamping: width))
    }

    /// Runs `operation` on the container's files (`docker cp`): its root mounted meanwhile (it
    /// stays mounted while the container runs anyway), with its volumes and bind mounts.
    /// `name` is the container as the client named it, for messages.
    func withFiles<T: Sendable>(as name: String,
                                _ operation: (_ files: ContainerFiles, _ root: String) async throws -> T) async throws -> T {
        guard record.State.phase != .removing, record.State.phase != .dead else {
            throw APIError.conflict("container \(id) is being removed")
        }
        let volumes = environment.volumes
        let specification = ContainerSpec(id: id, config: record.Config, hostConfig: hostConfig, volumes: record.Volumes ?? [],
                                          volumePath: { volumes.path($0) })
        let mounts = try specification.mounts(files: nil).compactMap { mount -> ContainerFiles.Mount? in
            guard mount.type == "bind", let source = mount.source else { return nil }
            return ContainerFiles.Mount(destination: mount.destination, source: source, readOnly: mount.options?.contains("ro") == true)
        }
        let root = try await environment.images.mountContainerLayer(id)
        let files = ContainerFiles(name: name, root: root, readOnlyRoot: hostConfig.ReadonlyRootfs == true, mounts: mounts)
        do {
            let result = try await operation(files, root)
            try? await environment.images.unmountContainerLayer(id)
            return result
        } catch {
            try? await environment.images.unmountContainerLayer(id)
            throw error
        }
    }

    /// Records the execs run in this container (`ExecIDs` in inspect).
    func execStarted(_ id: String) { execIDs.append(id) }
    func execEnded(_ id: String) { execIDs.removeAll { $0 == id } }

    /// The paths the runtime makes in a container's root for its mounts (`/proc`, `/dev`,
    /// `/etc/hostname`, volumes, binds, tmpfs): not the container's changes for diff and commit.
    var runtimeMadePaths: Set<String> {
        var paths: Set<String> = ["/proc", "/sys", "/dev", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/.dockerenv"]
        for volume in record.Volumes ?? [] { paths.insert(volume.destination) }
        for bind in hostConfig.Binds ?? [] {
            if case .host(let mount) = try? ContainerSpec.parseBind(bind) { paths.insert(mount.destination) }
        }
        for mount in hostConfig.Mounts ?? [] { paths.insert(mount.Target) }
        for destination in (hostConfig.Tmpfs ?? [:]).keys { paths.insert(destination) }
        return paths
    }

    /// Freezes a running, unpaused container while its layer is committed; false if there was
    /// nothing to freeze.
    func freezeForCommit() async throws -> Bool {
        guard let current = run, record.State.phase == .running else { return false }
        try await BlockingPool.shared.run { try current.cgroup.freeze() }
        return true
    }

    func thawAfterCommit() async {
        guard let current = run, record.State.phase == .running else { return }
        try? await BlockingPool.shared.run { try current.cgroup.thaw() }
    }

    // MARK: Waiting, attaching

    /// What `wait` waits for, registered now.
    func waiter(_ condition: WaitCondition) -> ContainerWait {
        switch condition {
        case .notRunning:
            guard record.State.hasProcess || record.State.phase == .restarting else {
                let code = record.State.exitCode
                return { code }
            }
            let exit = nextExit
            return { try await exit.valueUnlessCancelled() }
        case .nextExit:
            let exit = nextExit
            return { try await exit.valueUnlessCancelled() }
        case .removed:
            let removal = removal
            return { try await removal.valueUnlessCancelled() }
        }
    }

    /// A client attaching: it gets the current run's output (or the next run's, for a container
    /// not started yet), and sends input when it asked to.
    func attach(_ options: AttachOptions) async throws -> ContainerStreams {
        let tty = record.Config.Tty
        let detachKeys = try DetachKeys(options.detachKeys)
        let attachment = Attachment(stdout: options.stdout, stderr: options.stderr)
        if options.stream {
            switch record.State.phase {
            case .running, .paused, .starting, .restarting, .created:
                if let current = run, let registered = current.copier.attach(attachment) {
                    _ = registered
                } else {
                    pendingAttachments.append(attachment)
                }
            default:
                if !options.logs { throw APIError.conflict("You cannot attach to a stopped container, start it first") }
            }
            await publish("attach")
        }
        let input = options.stdin && record.Config.OpenStdin ? inputReady : nil
        let stdinOnce = record.Config.StdinOnce
        var replay: LogReader?
        if options.logs {
            var logs = LogsOptions()
            logs.stdout = options.stdout
            logs.stderr = options.stderr
            replay = LogReader(log: log, options: logs)
        }
        let streaming = options.stream && record.State.phase != .exited && record.State.phase != .dead
        return ContainerStreams(tty: tty) { [replay] clientInput, output in
            if let replay { try await replay.run(output) }
            guard streaming else { return }
            try await attachment.serve(output: output, input: clientInput.flatMap { read in input.map { (read, $0) } },
                                       closeInputAtEnd: stdinOnce, detachKeys: detachKeys)
        }
    }

    // MARK: Removal

    /// Removes the container: kills it first with `force`, then its writable layer, its
    /// directory and its log. The service forgets it afterwards.
    func remove(force: Bool) async throws {
        if force, let current = run, record.State.hasProcess {
            record.State.stopRequested(byUser: true)
            await publish("kill", ["signal": String(SIGKILL)])
            try? current.process.signal(SIGKILL)
            if record.State.phase == .paused { try? await BlockingPool.shared.run { try current.cgroup.thaw() } }
            _ = await current.ended.value()
        }
        restartTask?.cancel()
        restartTask = nil
        record.State.restartAbandoned()
        try record.State.beginRemoval(id: id, force: force)
        do {
            try await environment.images.removeContainerLayer(id)
        } catch {
            record.State.removalFailed()
            throw error
        }
        log.close()
        let directory = paths.directory
        try? await BlockingPool.shared.run { try removeTree(directory) }
        for attachment in pendingAttachments { attachment.finish() }
        pendingAttachments = []
        await publish("destroy")
        settleExit(record.State.exitCode)
        removal.settle(record.State.exitCode)
    }

    /// At daemon start: a container that had a process when the daemon died has its orphans
    /// killed (through its cgroup) and is marked exited.
    func recover() async {
        guard record.State.restored(at: Timestamp.nowNanoseconds()) else {
            await persist()
            return
        }
        if let cgroup = try? Cgroup(path: "\(environment.cgroupParent)/\(id)") {
            try? await BlockingPool.shared.run {
                try? cgroup.thaw()
                try? cgroup.kill(SIGKILL)
                // Killed orphans are reaped by the host's init, which can take a while on a loaded machine.
                for _ in 0..<1000 where ((try? cgroup.processes()) ?? []).isEmpty == false { usleep(10_000) }
                try? cgroup.destroy()
            }
        }
        try? await environment.images.unmountContainerLayer(id)
        await persist()
    }

    /// Stops the container for a daemon shutdown (as `docker stop`, without marking it stopped
    /// by the user, so `unless-stopped` and `always` bring it back at the next start).
    func stopForShutdown() async {
        restartTask?.cancel()
        restartTask = nil
        _ = try? await stop(timeout: nil, signal: nil, byUser: false)
        record.State.restartAbandoned()
        await persist()
    }

    // MARK: Reading

    var pid: Int32 { record.State.pid }

    /// The running process's cgroup, for `top` and `stats`.
    var cgroup: Cgroup? { run?.cgroup }
}
