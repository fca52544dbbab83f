import BerthAPI
import BerthCore
import BerthRuntime

/// The OCI configuration of a container's process, made from its `Config` (already merged with
/// its image's) and `HostConfig` as dockerd makes it: Docker's defaults, then what the user
/// asked for. Checks what can be checked without running anything (`check`), so a bad request
/// fails at create, not at start.
struct ContainerSpec {
    let id: String
    let config: ContainerConfig
    let hostConfig: HostConfig
    /// The volumes it mounts (from `Binds`, `Mounts` and the image), and where volumes live.
    var volumes: [VolumeMount] = []
    var volumePath: @Sendable (String) -> String = { _ in "" }

    /// The files the daemon writes for the container and binds in: `/etc/hostname`, `/etc/hosts`,
    /// `/etc/resolv.conf`.
    struct Files {
        var hostname: String
        var hosts: String
        var resolvConf: String
    }

    /// Where the container's network namespace comes from.
    enum Network: Equatable {
        /// A new namespace with only loopback (`none`, and the default with no bridge).
        case isolated
        case host
        /// Another container's: the path of its `/proc/PID/ns/net`.
        case joined(String)
    }

    static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    static let defaultShmSize: Int64 = 64 << 20

    /// The process's arguments: entrypoint, then command.
    var arguments: [String] { (config.Entrypoint ?? []) + (config.Cmd ?? []) }

    /// What `HostConfig.NetworkMode` asks for, checked; `container:<name>` needs that name
    /// resolved by the caller.
    static func networkMode(_ mode: String) throws -> (mode: String, joins: String?) {
        switch mode {
        case "", "default": return ("default", nil)
        case "none", "host": return (mode, nil)
        case "bridge": throw APIError.notFound("network bridge not found")
        default:
            if mode.hasPrefix("container:") {
                let target = String(mode.dropFirst("container:".count))
                guard !target.isEmpty else { throw APIError.invalidParameter("invalid network mode: \(mode)") }
                return (mode, target)
            }
            throw APIError.notFound("network \(mode) not found")
        }
    }

    /// Checks the configuration at create: the command, the options, the mounts, the limits.
    func check() throws {
        guard !arguments.isEmpty else { throw APIError.invalidParameter("No command specified") }
        _ = try securityOptions()
        _ = try capabilities()
        _ = try mounts(files: nil)
        _ = try resources()
        _ = try rlimits()
        if hostConfig.Memory > 0, hostConfig.Memory < 6 << 20 {
            throw APIError.invalidParameter("Minimum memory limit allowed is 6MB")
        }
        if hostConfig.MemorySwap > 0, hostConfig.Memory > 0, hostConfig.MemorySwap < hostConfig.Memory {
            throw APIError.invalidParameter("Minimum memoryswap limit should be larger than memory limit, see usage")
        }
        if hostConfig.NanoCpus > 0, hostConfig.CpuQuota > 0 || hostConfig.CpuPeriod > 0 {
            throw APIError.invalidParameter("Conflicting options: Nano CPUs and CPU Period cannot both be set")
        }
        if hostConfig.ShmSize < 0 { throw APIError.invalidParameter("SHM size can not be less than 0") }
    }

    /// The full configuration: `root` is the mounted root file system, `user` the resolved
    /// user, `cgroup` the container's cgroup path.
    func runtimeSpec(root: String, user: (uid: UInt32, gid: UInt32, additional: [UInt32], home: String), files: Files,
                     network: Network, cgroup: String) throws -> RuntimeSpec {
        var spec = RuntimeSpec.dockerDefaults(root: root, args: arguments, environment: environment(home: user.home))
        spec.root?.readonly = hostConfig.ReadonlyRootfs
        spec.hostname = config.Hostname.isEmpty ? String(id.prefix(12)) : config.Hostname
        if !config.Domainname.isEmpty { spec.domainname = config.Domainname }
        var process = spec.process ?? RuntimeSpec.Process()
        process.terminal = config.Tty
        process.cwd = config.WorkingDir.isEmpty ? "/" : config.WorkingDir
        process.user = RuntimeSpec.User(uid: user.uid, gid: user.gid, additionalGids: user.additional.isEmpty ? nil : user.additional)
        let security = try securityOptions()
        if security.noNewPrivileges { process.noNewPrivileges = true }
        let capabilities = try capabilities()
        process.capabilities = RuntimeSpec.Capabilities(bounding: capabilities, effective: capabilities, inheritable: capabilities,
                                                        permitted: capabilities)
        let limits = try rlimits()
        if !limits.isEmpty { process.rlimits = limits }
        spec.process = process
        spec.mounts = try mounts(files: files)
        var linux = spec.linux ?? RuntimeSpec.Linux()
        var namespaces = ["mount", "uts", "pid", "ipc"].map { RuntimeSpec.Namespace(type: $0) }
        switch network {
        case .isolated: namespaces.append(RuntimeSpec.Namespace(type: "network"))
        case .host: break
        case .joined(let path): namespaces.append(RuntimeSpec.Namespace(type: "network", path: path))
        }
        linux.namespaces = namespaces
        linux.cgroupsPath = cgroup
        linux.resources = try resources()
        if let sysctls = hostConfig.Sysctls, !sysctls.isEmpty { linux.sysctl = sysctls }
        if hostConfig.Privileged {
            linux.maskedPaths = nil
            linux.readonlyPaths = nil
            linux.seccomp = nil
            linux.resources?.devices = [RuntimeSpec.DeviceRule(allow: true, access: "rwm")]
            linux.devices = HostDevices.list()
        } else {
            linux.seccomp = security.seccomp ? SeccompProfile.dockerDefault(capabilities: capabilities) : nil
        }
        spec.linux = linux
        return spec
    }

    /// The image's environment with the container's over it, `PATH` if neither sets one,
    /// `HOSTNAME`, `TERM=xterm` with a terminal, and `HOME` from the user, as dockerd sets them.
    func environment(home: String) -> [String] {
        var variables = config.Env ?? []
        func has(_ name: String) -> Bool { variables.contains { $0.hasPrefix(name + "=") || $0 == name } }
        if !has("PATH") { variables.insert(Self.defaultPath, at: 0) }
        let hostname = config.Hostname.isEmpty ? String(id.prefix(12)) : config.Hostname
        variables.insert("HOSTNAME=\(hostname)", at: 1)
        if config.Tty, !has("TERM") { variables.append("TERM=xterm") }
        if !has("HOME") { variables.append("HOME=\(home.isEmpty ? "/" : home)") }
        return variables
    }

    /// `SecurityOpt`: `seccomp=unconfined`, `no-new-privileges` (with `:true`/`=true`/`:false`).
    private func securityOptions() throws -> (seccomp: Bool, noNewPrivileges: Bool) {
        var seccomp = true, noNewPrivileges = false
        for option in hostConfig.SecurityOpt ?? [] {
            let separator = option.firstIndex { $0 == "=" || $0 == ":" }
            let key = separator.map { String(option[..<$0]) } ?? option
            let value = separator.map { String(option[option.index(after: $0)...]) } ?? ""
            switch key {
            case "seccomp" where value == "unconfined": seccomp = false
            case "no-new-privileges":
                guard let flag = value.isEmpty ? true : Bool(value) else {
                    throw APIError.invalidParameter("invalid --security-opt 2: \"\(option)\"")
                }
                noNewPrivileges = flag
            case "seccomp", "apparmor", "label":
                throw APIError.invalidParameter("berthd does not support --security-opt \(option) yet")
            default:
                throw APIError.invalidParameter("invalid --security-opt 1: \"\(option)\"")
            }
        }
        return (seccomp, noNewPrivileges)
    }

    /// Docker's 14, plus `CapAdd`, minus `CapDrop` (`ALL` in either); every one the kernel knows
    /// when privileged (the runtime leaves out those it cannot grant).
    func capabilities() throws -> [String] {
        if hostConfig.Privileged { return Capability.knownNames }
        func normalized(_ names: [String]?) throws -> [String] {
            try (names ?? []).map { name in
                if name.uppercased() == "ALL" { return "ALL" }
                guard let number = Capability.number(name) else {
                    throw APIError.invalidParameter("unknown capability: \"\(name)\"")
                }
                return Capability.knownNames[number]
            }
        }
        let add = try normalized(hostConfig.CapAdd), drop = try normalized(hostConfig.CapDrop)
        var set = add.contains("ALL") ? Capability.knownNames : Capability.dockerDefaults + add.filter { !Capability.dockerDefaults.contains($0) }
        if drop.contains("ALL") {
            set = add.filter { $0 != "ALL" }
        } else {
            set.removeAll { drop.contains($0) && !add.contains($0) }
        }
        return set
    }

    /// Docker's mounts (shm at `ShmSize`), the files the daemon writes, then `Binds`, `Mounts`
    /// and `Tmpfs`. A destination given twice is a 400, as dockerd says it.
    func mounts(files: Files?) throws -> [RuntimeSpec.Mount] {
        var mounts = RuntimeSpec.dockerMounts
        let shm = hostConfig.ShmSize > 0 ? hostConfig.ShmSize : Self.defaultShmSize
        if let index = mounts.firstIndex(where: { $0.destination == "/dev/shm" }) {
            mounts[index].options = ["nosuid", "noexec", "nodev", "mode=1777", "size=\(shm / 1024)k"]
        }
        if hostConfig.Privileged, let index = mounts.firstIndex(where: { $0.destination == "/sys" }) {
            mounts[index].options = ["nosuid", "noexec", "nodev", "rw"]
        }
        mounts.append(RuntimeSpec.dockerCgroupMount)
        var user: [RuntimeSpec.Mount] = []
        for bind in hostConfig.Binds ?? [] {
            if case .host(let mount) = try Self.parseBind(bind) { user.append(mount) }
        }
        for mount in hostConfig.Mounts ?? [] where mount.Type != "volume" { user.append(try Self.mount(mount)) }
        for volume in volumes {
            user.append(RuntimeSpec.Mount(destination: volume.destination, type: "bind", source: volumePath(volume.name),
                                          options: ["rbind", "rprivate", volume.readOnly ? "ro" : "rw"]))
        }
        for (destination, options) in (hostConfig.Tmpfs ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard destination.hasPrefix("/") else { throw APIError.invalidParameter("invalid mount path \(destination): must be absolute") }
            let extra = options.split(separator: ",").map(String.init)
            user.append(RuntimeSpec.Mount(destination: destination, type: "tmpfs", source: "tmpfs",
                                          options: ["nosuid", "noexec", "nodev"] + extra))
        }
        var seen = Set<String>()
        for mount in user {
            guard seen.insert(mount.destination).inserted else {
                throw APIError.invalidParameter("Duplicate mount point: \(mount.destination)")
            }
        }
        if let files {
            for (destination, source) in [("/etc/resolv.conf", files.resolvConf), ("/etc/hostname", files.hostname),
                                          ("/etc/hosts", files.hosts)] where !seen.contains(destination) {
                mounts.append(RuntimeSpec.Mount(destination: destination, type: "bind", source: source, options: ["rbind", "rprivate"]))
            }
        }
        mounts.removeAll { seen.contains($0.destination) }
        return mounts + user
    }

    /// What one of `Binds` asks for: a host directory, or a volume.
    enum Bind {
        case host(RuntimeSpec.Mount)
        /// A named volume, or an anonymous one (its name empty until the container is created).
        case volume(VolumeMount)
    }

    /// `-v /host:/ctr[:ro|rw][,…]`, `-v name:/ctr[:ro|nocopy]`, or `-v /ctr` (an anonymous volume).
    static func parseBind(_ text: String) throws -> Bind {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1, text.hasPrefix("/") {
            return .volume(VolumeMount(name: "", destination: text, readOnly: false, anonymous: true, copyImageData: true))
        }
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw APIError.invalidParameter("invalid volume specification: '\(text)'")
        }
        guard parts[1].hasPrefix("/") else {
            throw APIError.invalidParameter("invalid volume specification: '\(text)': invalid mount config for type \"bind\": invalid mount path: '\(parts[1])' mount path must be absolute")
        }
        var options = ["rbind"]
        var readOnly = false, copy = true
        for mode in parts.count == 3 ? parts[2].split(separator: ",").map(String.init) : [] {
            switch mode {
            case "ro": readOnly = true
            case "rw": readOnly = false
            case "nocopy": copy = false
            case "z", "Z": break
            case "private", "rprivate", "shared", "rshared", "slave", "rslave": options.append(mode)
            default: throw APIError.invalidParameter("invalid mode: \(mode)")
            }
        }
        guard parts[0].hasPrefix("/") else {
            let name = try VolumeStore.validated(parts[0])
            return .volume(VolumeMount(name: name, destination: parts[1], readOnly: readOnly, anonymous: false, copyImageData: copy))
        }
        if !options.contains(where: { $0.hasSuffix("private") || $0.hasSuffix("shared") || $0.hasSuffix("slave") }) {
            options.append("rprivate")
        }
        options.append(readOnly ? "ro" : "rw")
        return .host(RuntimeSpec.Mount(destination: parts[1], type: "bind", source: parts[0], options: options))
    }

    /// The volumes `HostConfig` and the image's `VOLUME`s ask for; anonymous ones get new names.
    static func volumeMounts(config: ContainerConfig, hostConfig: HostConfig) throws -> [VolumeMount] {
        var volumes: [VolumeMount] = []
        var taken = Set<String>()
        for bind in hostConfig.Binds ?? [] {
            switch try parseBind(bind) {
            case .host(let mount): taken.insert(mount.destination)
            case .volume(var volume):
                if volume.name.isEmpty { volume.name = randomHex(64) }
                volumes.append(volume)
                taken.insert(volume.destination)
            }
        }
        for mount in hostConfig.Mounts ?? [] {
            taken.insert(mount.Target)
            guard mount.Type == "volume" else { continue }
            guard mount.Target.hasPrefix("/") else {
                throw APIError.invalidParameter("invalid mount config for type \"volume\": invalid mount path: '\(mount.Target)' mount path must be absolute")
            }
            let named = try mount.Source.flatMap { $0.isEmpty ? nil : try VolumeStore.validated($0) }
            volumes.append(VolumeMount(name: named ?? randomHex(64), destination: mount.Target, readOnly: mount.ReadOnly == true,
                                       anonymous: named == nil, copyImageData: mount.VolumeOptions?.NoCopy != true))
        }
        for destination in (hostConfig.Tmpfs ?? [:]).keys { taken.insert(destination) }
        for destination in (config.Volumes ?? [:]).keys.sorted() where !taken.contains(destination) {
            volumes.append(VolumeMount(name: randomHex(64), destination: destination, readOnly: false, anonymous: true,
                                       copyImageData: true))
        }
        return volumes
    }

    /// `--mount type=bind|tmpfs,…`.
    static func mount(_ mount: HostConfig.Mount) throws -> RuntimeSpec.Mount {
        guard mount.Target.hasPrefix("/") else {
            throw APIError.invalidParameter("invalid mount config for type \"\(mount.Type)\": invalid mount path: '\(mount.Target)' mount path must be absolute")
        }
        switch mount.Type {
        case "bind":
            guard let source = mount.Source, source.hasPrefix("/") else {
                throw APIError.invalidParameter("invalid mount config for type \"bind\": field Source must not be empty")
            }
            return RuntimeSpec.Mount(destination: mount.Target, type: "bind", source: source,
                                     options: ["rbind", "rprivate", mount.ReadOnly == true ? "ro" : "rw"])
        case "tmpfs":
            var options = ["nosuid", "noexec", "nodev"]
            if let size = mount.TmpfsOptions?.SizeBytes, size > 0 { options.append("size=\(size)") }
            if let mode = mount.TmpfsOptions?.Mode { options.append("mode=\(String(mode, radix: 8))") }
            if mount.ReadOnly == true { options.append("ro") }
            return RuntimeSpec.Mount(destination: mount.Target, type: "tmpfs", source: "tmpfs", options: options)
        case "volume":
            throw APIError.invalidParameter("a volume mount is made from the volume store, not here")
        default:
            throw APIError.invalidParameter("mount type unknown: \"\(mount.Type)\"")
        }
    }

    /// The cgroup limits: memory and swap, CPU (`NanoCpus` as a quota over a 100 ms period),
    /// cpuset, pids.
    func resources() throws -> RuntimeSpec.Resources {
        var resources = RuntimeSpec.Resources()
        if hostConfig.Memory > 0 || hostConfig.MemorySwap != 0 {
            var memory = RuntimeSpec.Memory()
            if hostConfig.Memory > 0 { memory.limit = hostConfig.Memory }
            if hostConfig.MemorySwap == -1 {
                memory.swap = -1
            } else if hostConfig.MemorySwap > 0 {
                memory.swap = hostConfig.MemorySwap
            } else if hostConfig.Memory > 0 {
                memory.swap = hostConfig.Memory * 2  // dockerd's default: as much swap as memory
            }
            resources.memory = memory
        }
        var cpu = RuntimeSpec.CPU()
        var cpuSet = false
        if hostConfig.NanoCpus > 0 {
            cpu.period = 100_000
            cpu.quota = hostConfig.NanoCpus * 100_000 / 1_000_000_000
            cpuSet = true
        }
        if hostConfig.CpuQuota != 0 {
            cpu.quota = hostConfig.CpuQuota
            cpuSet = true
        }
        if hostConfig.CpuPeriod > 0 {
            cpu.period = UInt64(hostConfig.CpuPeriod)
            cpuSet = true
        }
        if hostConfig.CpuShares > 0 {
            cpu.shares = UInt64(hostConfig.CpuShares)
            cpuSet = true
        }
        if !hostConfig.CpusetCpus.isEmpty {
            guard hostConfig.CpusetCpus.allSatisfy({ $0.isNumber || $0 == "," || $0 == "-" }) else {
                throw APIError.invalidParameter("Invalid value \(hostConfig.CpusetCpus) for cpuset cpus")
            }
            cpu.cpus = hostConfig.CpusetCpus
            cpuSet = true
        }
        if cpuSet { resources.cpu = cpu }
        if let pids = hostConfig.PidsLimit, pids > 0 { resources.pids = RuntimeSpec.Pids(limit: pids) }
        return resources
    }

    /// `Ulimits` as rlimits (`nofile` → `RLIMIT_NOFILE`).
    private func rlimits() throws -> [RuntimeSpec.Rlimit] {
        try (hostConfig.Ulimits ?? []).map { limit in
            let known = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio",
                         "rttime", "sigpending", "stack", "as"]
            guard known.contains(limit.Name.lowercased()) else { throw APIError.invalidParameter("invalid ulimit type: \(limit.Name)") }
            guard limit.Soft <= limit.Hard || limit.Hard < 0 else {
                throw APIError.invalidParameter("ulimit soft limit must be less than or equal to hard limit: \(limit.Soft) > \(limit.Hard)")
            }
            return RuntimeSpec.Rlimit(type: "RLIMIT_" + limit.Name.uppercased(), hard: UInt64(bitPattern: limit.Hard),
                                      soft: UInt64(bitPattern: limit.Soft))
        }
    }
}
