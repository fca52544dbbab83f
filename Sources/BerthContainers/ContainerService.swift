import BerthAPI
import BerthCore
import BerthImages
import BerthRuntime
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

/// The containers backend: every container by ID and by name, created from images of the image
/// store and run by the native runtime, with no process between the daemon and each
/// container's PID 1. Containers live under `<data-root>/containers/<id>/`; `open` brings them
/// back when the daemon starts.
public actor ContainerService: ContainersBackend {
    /// Publishes an event: its type (`container`, `volume`), its action, the actor's ID, and its
    /// attributes.
    public typealias EventPublisher = @Sendable (_ type: String, _ action: String, _ id: String, _ attributes: [String: String])
        async -> Void

    let root: String
    let cgroupParent: String
    private let publishAny: EventPublisher
    /// The volumes containers mount (the volume routes' backend).
    public nonisolated let volumes: VolumeStore
    private var environment: ContainerEnvironment?
    private var containers: [String: Container] = [:]
    /// Names (without `/`) to IDs.
    private var names: [String: String] = [:]
    private var creationTimes: [String: Int64] = [:]
    private var stopping: Task<Void, Never>?
    /// Execs by ID, with when each ended (kept five minutes for `docker exec`'s inspect).
    private var execs: [String: (session: ExecSession, container: String)] = [:]
    private var execEnds: [String: ContinuousClock.Instant] = [:]

    /// - Parameters:
    ///   - dataRoot: the daemon's data root; containers go under `containers/`.
    ///   - cgroupParent: the cgroup containers' cgroups are made under.
    public init(dataRoot: String, cgroupParent: String = "/docker", publish: @escaping EventPublisher) {
        root = dataRoot + "/containers"
        self.cgroupParent = cgroupParent
        publishAny = publish
        volumes = VolumeStore(dataRoot: dataRoot) { action, name, attributes in await publish("volume", action, name, attributes) }
    }

    private func publishEvent(_ action: String, _ id: String, _ attributes: [String: String]) async {
        await publishAny("container", action, id, attributes)
    }

    /// Opens the service: reads every container under the data root, cleans up after a daemon
    /// that was killed (orphaned processes, mounts, cgroups), and starts those whose restart
    /// policy says so.
    public func open(images: ImageService, initBinary: InitBinary) async throws {
        let publish = publishAny
        try await volumes.open()
        environment = ContainerEnvironment(
            images: images, volumes: volumes, initBinary: initBinary,
            publish: { action, id, attributes in await publish("container", action, id, attributes) }, cgroupParent: cgroupParent,
            autoRemove: { [weak self] id in await self?.autoRemove(id) },
            networkNamespace: { [weak self] name in
                guard let self else { throw APIError.unavailable("the daemon is shutting down") }
                return try await self.networkNamespace(of: name)
            })
        let root = root
        let found = try await BlockingPool.shared.run { () throws -> [(ContainerRecord, HostConfig, ContainerRecord.Paths)] in
            try makeDirectories(root)
            var found: [(ContainerRecord, HostConfig, ContainerRecord.Paths)] = []
            for name in try listDirectory(root) {
                let paths = ContainerRecord.Paths(root: root, id: name)
                guard let (record, hostConfig) = ContainerRecord.load(paths) else { continue }
                found.append((record, hostConfig, paths))
            }
            return found
        }
        var restarting: [Container] = []
        for (record, hostConfig, paths) in found {
            guard let environment, let container = try? Container(record: record, hostConfig: hostConfig, paths: paths,
                                                                environment: environment) else { continue }
            containers[record.ID] = container
            names[record.Name] = record.ID
            creationTimes[record.ID] = record.CreatedNanoseconds
            await images.adoptContainerLayer(record.ID, imageID: record.ImageID)
            await volumes.adopt((record.Volumes ?? []).map(\.name), by: record.ID)
            await container.recover()
            if let policy = try? RestartPolicy(name: hostConfig.RestartPolicy.Name,
                                               maximumRetryCount: hostConfig.RestartPolicy.MaximumRetryCount),
               policy.startsWithDaemon(stoppedByUser: await container.lifecycle.stoppedByUser) {
                restarting.append(container)
            }
        }
        for container in restarting { _ = try? await container.start() }
    }

    /// Stops every running container as dockerd does without live-restore (their stop signal,
    /// their timeout, then SIGKILL), all at once.
    public func shutdown() async {
        if let stopping { return await stopping.value }
        let all = Array(containers.values)
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for container in all { group.addTask { await container.stopForShutdown() } }
            }
        }
        stopping = task
        await task.value
    }

    /// How many containers there are, and how many run, are paused, are stopped (`/info`).
    public func counts() async -> (total: Int, running: Int, paused: Int, stopped: Int) {
        var running = 0, paused = 0
        for container in containers.values {
            switch await container.lifecycle.phase {
            case .running, .restarting, .starting: running += 1
            case .paused: paused += 1
            default: break
            }
        }
        return (containers.count, running, paused, containers.count - running - paused)
    }

    private func opened() throws -> ContainerEnvironment {
        guard let environment else { throw APIError.unavailable("the container service is not open yet") }
        return environment
    }

    // MARK: Finding containers

    /// The container `name` means: a full ID, a name (with or without `/`), or a unique ID
    /// prefix; a 404 `No such container: name` otherwise.
    func container(_ name: String) throws -> Container {
        if let container = containers[name] { return container }
        let bare = name.hasPrefix("/") ? String(name.dropFirst()) : name
        if let id = names[bare], let container = containers[id] { return container }
        if !bare.isEmpty {
            let matches = containers.keys.filter { $0.hasPrefix(bare) }
            if matches.count > 1 {
                throw APIError.invalidParameter("Multiple IDs found with provided prefix: \(bare)")
            }
            if let id = matches.first, let container = containers[id] { return container }
        }
        throw APIError.notFound("No such container: \(name)")
    }

    private func networkNamespace(of name: String) async throws -> String {
        let target = try container(name)
        let pid = await target.pid
        guard pid > 0 else { throw APIError.conflict("cannot join network of a non running container: \(name)") }
        return "/proc/\(pid)/ns/net"
    }

    // MARK: Creating

    public func create(name: String?, config: ContainerConfig, hostConfig: HostConfig) async throws -> ContainerCreateResponse {
        let environment = try opened()
        let requestedName = try name.map(ContainerName.validated)
        if let requestedName, let holder = names[requestedName] {
            throw APIError.conflict("Conflict. The container name \"/\(requestedName)\" is already in use by container \"\(holder)\". "
                                    + "You have to remove (or rename) that container to be able to reuse that name.")
        }
        guard !config.Image.isEmpty else { throw APIError.invalidParameter("No image was specified") }
        let image = try await environment.images.containerImage(config.Image)
        let imageMerged = Self.merge(config, image: image.config)
        var host = try Self.withDefaults(hostConfig)
        _ = try RestartPolicy(name: host.RestartPolicy.Name, maximumRetryCount: host.RestartPolicy.MaximumRetryCount)
        if host.AutoRemove, !["", "no"].contains(host.RestartPolicy.Name) {
            throw APIError.invalidParameter("can't create 'AutoRemove' container with restart policy")
        }
        let network = try ContainerSpec.networkMode(host.NetworkMode)
        if let target = network.joins { _ = try container(target) }
        host.NetworkMode = network.mode
        var merged = imageMerged
        if network.mode == "host", merged.Hostname.isEmpty {
            // On the host's network a container takes the host's name, as with dockerd.
            var name = [CChar](repeating: 0, count: 256)
            if gethostname(&name, name.count - 1) == 0 {
                merged.Hostname = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        var id = randomHex(64)
        while containers[id] != nil || id.prefix(12).allSatisfy(\.isNumber) { id = randomHex(64) }
        let volumeMounts = try ContainerSpec.volumeMounts(config: merged, hostConfig: host)
        try ContainerSpec(id: id, config: merged, hostConfig: host, volumes: volumeMounts).check()
        _ = try JSONFileLog.options(host.LogConfig.Config ?? [:])
        // The name is taken now, before anything waits, so that two creates cannot both get it.
        var chosen = requestedName ?? ContainerName.generated()
        var retry = 0
        while requestedName == nil, names[chosen] != nil {
            retry += 1
            chosen = ContainerName.generated(retry: retry)
        }
        if let holder = names[chosen] {
            throw APIError.conflict("Conflict. The container name \"/\(chosen)\" is already in use by container \"\(holder)\". "
                                    + "You have to remove (or rename) that container to be able to reuse that name.")
        }
        names[chosen] = id
        let created = Timestamp.nowNanoseconds()
        let record = ContainerRecord(ID: id, Name: chosen, CreatedNanoseconds: created, Config: merged, ImageID: image.id,
                                     Driver: environment.images.driver.rawValue, State: ContainerLifecycle(), NetworkMode: host.NetworkMode,
                                     Volumes: volumeMounts.isEmpty ? nil : volumeMounts)
        let paths = ContainerRecord.Paths(root: root, id: id)
        do {
            _ = try await volumes.acquire(volumeMounts, by: id)
            try await environment.images.createContainerLayer(id, imageID: image.id)
            do {
                let hostCopy = host
                try await BlockingPool.shared.run {
                    try makeDirectories(paths.directory)
                    try ContainerRecord.save(record, hostConfig: hostCopy, paths: paths)
                }
                containers[id] = try Container(record: record, hostConfig: host, paths: paths, environment: environment)
            } catch {
                try? await environment.images.removeContainerLayer(id)
                try? await BlockingPool.shared.run { try removeTree(paths.directory) }
                throw error
            }
        } catch {
            names.removeValue(forKey: chosen)
            await volumes.release(volumeMounts.map(\.name), by: id, removeAnonymous: true)
            throw error
        }
        creationTimes[id] = created
        var attributes = merged.Labels ?? [:]
        attributes["image"] = merged.Image
        attributes["name"] = chosen
        await environment.publish("create", id, attributes)
        return ContainerCreateResponse(Id: id)
    }

    /// The container's configuration over its image's, as dockerd merges them: the image's
    /// command unless the user gave a command or an entrypoint, its entrypoint unless the user
    /// gave one, its environment under the user's, its working directory, user, labels.
    static func merge(_ config: ContainerConfig, image: ContainerConfig?) -> ContainerConfig {
        guard let image else { return config }
        var merged = config
        if merged.Entrypoint == nil || merged.Entrypoint?.isEmpty == true {
            if merged.Cmd == nil || merged.Cmd?.isEmpty == true { merged.Cmd = image.Cmd }
            if merged.Entrypoint == nil { merged.Entrypoint = image.Entrypoint }
        }
        var environment = image.Env ?? []
        for variable in config.Env ?? [] {
            let key = variable.split(separator: "=", maxSplits: 1).first.map(String.init) ?? variable
            environment.removeAll { ($0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0) == key }
            environment.append(variable)
        }
        merged.Env = environment.isEmpty ? nil : environment
        if merged.WorkingDir.isEmpty { merged.WorkingDir = image.WorkingDir }
        if merged.User.isEmpty { merged.User = image.User }
        if let labels = image.Labels { merged.Labels = labels.merging(config.Labels ?? [:]) { $1 } }
        if merged.StopSignal == nil || merged.StopSignal?.isEmpty == true { merged.StopSignal = image.StopSignal }
        if let volumes = image.Volumes { merged.Volumes = volumes.merging(config.Volumes ?? [:]) { $1 } }
        return merged
    }

    /// `HostConfig` with dockerd's defaults where the client left fields empty.
    static func withDefaults(_ hostConfig: HostConfig) throws -> HostConfig {
        var host = hostConfig
        switch host.LogConfig.Type {
        case "": host.LogConfig.Type = "json-file"
        case "json-file", "none": break
        default: throw APIError.invalidParameter("berthd does not support the \(host.LogConfig.Type) log driver yet")
        }
        if host.LogConfig.Config == nil { host.LogConfig.Config = [:] }
        if host.RestartPolicy.Name.isEmpty { host.RestartPolicy.Name = "no" }
        if host.IpcMode.isEmpty { host.IpcMode = "private" }
        if host.CgroupnsMode.isEmpty { host.CgroupnsMode = "host" }
        if host.Runtime.isEmpty { host.Runtime = "runc" }
        if host.ShmSize == 0 { host.ShmSize = ContainerSpec.defaultShmSize }
        if !host.Privileged {
            if host.MaskedPaths == nil { host.MaskedPaths = RuntimeSpec.dockerMaskedPaths }
            if host.ReadonlyPaths == nil { host.ReadonlyPaths = RuntimeSpec.dockerReadonlyPaths }
        }
        return host
    }

    // MARK: The lifecycle

    public func start(_ name: String) async throws -> Bool {
        _ = try opened()
        return try await container(name).start()
    }

    public func stop(_ name: String, timeout: Int?, signal: String?) async throws -> Bool {
        let target = try container(name)
        return try await target.stop(timeout: timeout, signal: try signal.map(SignalName.parse))
    }

    public func restart(_ name: String, timeout: Int?, signal: String?) async throws {
        let target = try container(name)
        _ = try await target.stop(timeout: timeout, signal: try signal.map(SignalName.parse))
        _ = try await target.start()
        await publishEvent("restart", target.id, await target.eventAttributes)
    }

    public func kill(_ name: String, signal: String?) async throws {
        let target = try container(name)
        try await target.kill(try signal.map(SignalName.parse) ?? SIGKILL)
    }

    public func pause(_ name: String) async throws { try await container(name).pause() }

    public func unpause(_ name: String) async throws { try await container(name).unpause() }

    public func remove(_ name: String, force: Bool, volumes removeVolumes: Bool) async throws {
        let target = try container(name)
        try await target.remove(force: force)
        forget(target.id)
        await volumes.release((await target.record.Volumes ?? []).map(\.name), by: target.id, removeAnonymous: removeVolumes)
    }

    private func autoRemove(_ id: String) async {
        guard let target = containers[id] else { return }
        do {
            try await target.remove(force: false)
            forget(id)
            await volumes.release((await target.record.Volumes ?? []).map(\.name), by: id, removeAnonymous: true)
        } catch {
            // Removal in progress elsewhere (docker rm raced the exit): that one finishes it.
        }
    }

    private func forget(_ id: String) {
        guard containers.removeValue(forKey: id) != nil else { return }
        for (execID, exec) in execs where exec.container == id {
            execs.removeValue(forKey: execID)
            execEnds.removeValue(forKey: execID)
        }
        creationTimes.removeValue(forKey: id)
        for (name, holder) in names where holder == id { names.removeValue(forKey: name) }
    }

    public func rename(_ name: String, to newName: String) async throws {
        let target = try container(name)
        let validated = try ContainerName.validated(newName)
        let old = await target.name
        guard validated != old else {
            throw APIError.conflict("Renaming a container with the same name as its current name")
        }
        if let holder = names[validated] {
            throw APIError.conflict("Conflict. The container name \"/\(validated)\" is already in use by container \"\(holder)\". "
                                    + "You have to remove (or rename) that container to be able to reuse that name.")
        }
        names.removeValue(forKey: old)
        names[validated] = target.id
        await target.rename(to: validated)
    }

    public func resize(_ name: String, height: Int, width: Int) async throws {
        try await container(name).resize(height: height, width: width)
    }

    public func update(_ name: String, _ update: ContainerUpdate) async throws -> [String] {
        try await container(name).update(update)
        return []
    }

    // MARK: Waiting and streams

    public func wait(_ name: String, condition: WaitCondition) async throws -> ContainerWait {
        try await container(name).waiter(condition)
    }

    public func attach(_ name: String, options: AttachOptions) async throws -> ContainerStreams {
        try await container(name).attach(options)
    }

    public func logs(_ name: String, options: LogsOptions) async throws -> ContainerStreams {
        let target = try container(name)
        guard await target.logsEnabled else {
            throw APIError.notImplemented("configured logging driver does not support reading")
        }
        let reader = LogReader(log: target.log, options: options)
        return ContainerStreams(tty: await target.record.Config.Tty) { _, output in try await reader.run(output) }
    }

    // MARK: Reading

    public func inspect(_ name: String) async throws -> ContainerInspect {
        let target = try container(name)
        let environment = try opened()
        return await target.inspect(graphDriver: await environment.images.containerGraphDriver(target.id))
    }

    public func list(all: Bool, limit: Int?, size: Bool, filters: Filters) async throws -> [ContainerSummary] {
        var summaries: [(Int64, ContainerSummary)] = []
        let before = try filters["before"].flatMap(\.first).map { try container($0).id }.flatMap { creationTimes[$0] }
        let since = try filters["since"].flatMap(\.first).map { try container($0).id }.flatMap { creationTimes[$0] }
        for container in containers.values {
            let summary = await container.summary()
            let created = creationTimes[container.id] ?? 0
            if !all, filters["status"] == nil, !["running", "paused", "restarting"].contains(summary.State) { continue }
            if let before, created >= before { continue }
            if let since, created <= since { continue }
            guard await Self.matches(summary, container, filters) else { continue }
            summaries.append((created, summary))
        }
        var sorted = summaries.sorted { $0.0 > $1.0 }.map(\.1)
        if let limit { sorted = Array(sorted.prefix(limit)) }
        if size {
            let environment = try opened()
            for index in sorted.indices {
                let sizes = await environment.images.containerLayerSizes(sorted[index].Id)
                sorted[index].SizeRw = sizes.writable
                sorted[index].SizeRootFs = sizes.total
            }
        }
        return sorted
    }

    private static func matches(_ summary: ContainerSummary, _ container: Container, _ filters: Filters) async -> Bool {
        if let ids = filters["id"], !ids.contains(where: { summary.Id.hasPrefix($0) }) { return false }
        if let wanted = filters["name"] {
            let name = summary.Names.first.map { String($0.dropFirst()) } ?? ""
            guard wanted.contains(where: { name.contains($0.hasPrefix("/") ? String($0.dropFirst()) : $0) }) else { return false }
        }
        if let statuses = filters["status"], !statuses.contains(summary.State) { return false }
        if let codes = filters["exited"] {
            guard summary.State == "exited", codes.contains(String(await container.lifecycle.exitCode)) else { return false }
        }
        if let ancestors = filters["ancestor"] {
            guard ancestors.contains(where: { $0 == summary.Image || summary.ImageID.hasSuffix($0) || summary.ImageID == $0
                || summary.Image == $0 + ":latest" || ($0.hasSuffix(":latest") && summary.Image == String($0.dropLast(7))) })
            else { return false }
        }
        if let volumes = filters["volume"] {
            guard summary.Mounts.contains(where: { volumes.contains($0.Destination) || volumes.contains($0.Source)
                || ($0.Name.map(volumes.contains) ?? false) }) else { return false }
        }
        return filters.matchesLabels(summary.Labels)
    }

    /// The containers and volumes part of `GET /system/df`, and how many containers use each image.
    public func diskUsage() async throws -> (containers: [ContainerSummary], volumes: [Volume], containersByImage: [String: Int]) {
        let containers = try await list(all: true, limit: nil, size: true, filters: Filters())
        var byImage: [String: Int] = [:]
        for container in containers { byImage[container.ImageID, default: 0] += 1 }
        var volumeList = try await volumes.list(filters: Filters()).Volumes
        let counts = await volumes.referenceCounts()
        for index in volumeList.indices {
            let path = volumeList[index].Mountpoint
            let size = (try? await BlockingPool.shared.run { treeSize(path) }) ?? 0
            volumeList[index].UsageData = Volume.UsageData(RefCount: counts[volumeList[index].Name] ?? 0, Size: size)
        }
        return (containers, volumeList, byImage)
    }

    public func top(_ name: String, psArguments: String?) async throws -> ContainerTop {
        let target = try container(name)
        guard let cgroup = await target.cgroup, await target.lifecycle.isRunning else {
            throw APIError.conflict("Container \(target.id) is not running")
        }
        let arguments = (psArguments ?? "").split(separator: " ").map(String.init)
        let top: ContainerTop
        if arguments.isEmpty {
            top = try await BlockingPool.shared.run { try ProcessTable.read(pids: try cgroup.processes()) }
        } else {
            top = try await BlockingPool.shared.run {
                let ran = try HostCommand.run("/bin/ps", ["ps"] + arguments)
                guard ran.status == 0 else {
                    throw APIError.system("ps: \(String(decoding: ran.error + ran.output, as: UTF8.self).trimmingWhitespace)")
                }
                return try ProcessTable.parse(String(decoding: ran.output, as: UTF8.self), pids: try cgroup.processes())
            }
        }
        await publishEvent("top", target.id, await target.eventAttributes)
        return top
    }

    public func prune(filters: Filters) async throws -> ContainersPruneReport {
        let now = Timestamp.nowNanoseconds()
        let until = try filters["until"].flatMap(\.first).map { try APITimestamp.parse($0, now: now) }
        var deleted: [String] = []
        for container in containers.values {
            let phase = await container.lifecycle.phase
            guard phase == .exited || phase == .created || phase == .dead else { continue }
            if let until, (creationTimes[container.id] ?? 0) >= until { continue }
            guard filters.matchesLabels(await container.record.Config.Labels) else { continue }
            if (try? await container.remove(force: false)) != nil {
                forget(container.id)
                await volumes.release((await container.record.Volumes ?? []).map(\.name), by: container.id, removeAnonymous: false)
                deleted.append(container.id)
            }
        }
        await publishEvent("prune", "", ["reclaimed": "0"])
        return ContainersPruneReport(ContainersDeleted: deleted.isEmpty ? nil : deleted, SpaceReclaimed: 0)
    }
}

extension ContainerService {
    public func stats(_ name: String, stream: Bool, oneShot: Bool) async throws -> AsyncThrowingStream<ContainerStats, any Error> {
        let target = try container(name)
        let (samples, continuation) = AsyncThrowingStream.makeStream(of: ContainerStats.self, bufferingPolicy: .bufferingNewest(1))
        let producer = Task {
            var previous: ContainerStats?
            if !stream, !oneShot {
                previous = await StatsSampler.sample(target)
                try? await Task.sleep(for: .seconds(1))
            }
            while !Task.isCancelled {
                var sample = await StatsSampler.sample(target)
                if let previous {
                    sample.precpu_stats = previous.cpu_stats
                    sample.preread = previous.read
                }
                continuation.yield(sample)
                guard stream else { break }
                previous = sample
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        return samples
    }
}

extension ContainerService: ExecBackend {
    public func createExec(in name: String, _ request: ExecCreateRequest) async throws -> String {
        let environment = try opened()
        let target = try container(name)
        let context = try await target.execContext()
        if let user = request.User, !user.isEmpty {
            let root = context.root
            _ = try await BlockingPool.shared.run { try ContainerRoot(path: root).resolveUser(user) }
        }
        let now = ContinuousClock.now
        for (id, end) in execEnds where now - end > .seconds(300) {
            execs.removeValue(forKey: id)
            execEnds.removeValue(forKey: id)
        }
        let id = randomHex(64)
        let session = ExecSession(id: id, container: target, request: request, environment: environment)
        execs[id] = (session, target.id)
        await session.publish("exec_create: " + (await session.eventAction), [:])
        Task { [weak self] in
            _ = await session.ended.value()
            await self?.execEnded(id)
        }
        return id
    }

    private func execEnded(_ id: String) { execEnds[id] = .now }

    private func exec(_ id: String) throws -> ExecSession {
        guard let exec = execs[id] else { throw APIError.notFound("No such exec instance: \(id)") }
        return exec.session
    }

    public func startExec(_ id: String, detach: Bool, consoleSize: [Int]?) async throws -> ContainerStreams? {
        try await exec(id).start(detach: detach, consoleSize: consoleSize)
    }

    public func inspectExec(_ id: String) async throws -> ExecInspect {
        try await exec(id).inspect()
    }

    public func resizeExec(_ id: String, height: Int, width: Int) async throws {
        try await exec(id).resize(height: height, width: width)
    }
}

extension ContainerService {
    public func changes(_ name: String) async throws -> [ContainerChange] {
        let target = try container(name)
        return try await opened().images.containerChanges(target.id, excluding: await target.runtimeMadePaths)
    }

    public func export(_ name: String) async throws -> @Sendable (_ into: @escaping ByteSink) async throws -> Void {
        let target = try container(name)
        let write = try await opened().images.exportContainer(target.id)
        let publish = publishAny, id = target.id, attributes = await target.eventAttributes
        return { sink in
            try await write(sink)
            await publish("container", "export", id, attributes)
        }
    }

    public func commit(_ name: String, _ request: CommitRequest) async throws -> String {
        let environment = try opened()
        let target = try container(name)
        let record = await target.record
        var config = record.Config
        if let given = request.config { config = Self.merge(given, image: config) }
        config.Hostname = ""
        config.Domainname = ""
        let paused = request.pause ? try await target.freezeForCommit() : false
        defer { if paused { Task { await target.thawAfterCommit() } } }
        let command = ((config.Entrypoint ?? []) + (config.Cmd ?? [])).joined(separator: " ")
        let id = try await environment.images.commitContainer(
            target.id, imageID: record.ImageID, config: config, containerConfig: record.Config, changes: request.changes,
            comment: request.comment, author: request.author, createdBy: command,
            reference: request.repository.map { ($0, request.tag ?? "") }, excluding: await target.runtimeMadePaths)
        var attributes = await target.eventAttributes
        attributes["comment"] = request.comment
        attributes["imageID"] = id
        if let repository = request.repository { attributes["imageRef"] = repository + ":" + (request.tag ?? "latest") }
        await publishEvent("commit", target.id, attributes)
        return id
    }

    // MARK: docker cp

    public func statPath(_ name: String, path: String) async throws -> ContainerPathStat {
        try await container(name).withFiles(as: name) { files, _ in try await files.stat(path) }
    }

    public func archive(_ name: String, path: String) async throws
        -> (stat: ContainerPathStat, write: @Sendable (_ into: @escaping ByteSink) async throws -> Void) {
        let target = try container(name)
        let stat = try await target.withFiles(as: name) { files, _ in try await files.stat(path) }
        let publish = publishAny, id = target.id, attributes = await target.eventAttributes
        return (stat, { sink in
            try await target.withFiles(as: name) { files, _ in try await files.archive(path).write(sink) }
            await publish("container", "archive-path", id, attributes)
        })
    }

    public func extract(_ name: String, path: String, options: ExtractOptions, from body: @escaping ByteSource) async throws {
        let target = try container(name)
        let user = options.copyUIDGID ? await target.record.Config.User : ""
        try await target.withFiles(as: name) { files, root in
            // `docker cp -a`: the container's user owns what is copied in, as dockerd does it.
            let owner: (uid: UInt32, gid: UInt32)? = user.isEmpty ? nil : try await BlockingPool.shared.run {
                let resolved = try ContainerRoot(path: root).resolveUser(user)
                return (resolved.uid, resolved.gid)
            }
            try await files.extract(into: path, options: options, owner: owner, from: body)
        }
        await publishEvent("extract-to-dir", target.id, await target.eventAttributes)
    }
}
