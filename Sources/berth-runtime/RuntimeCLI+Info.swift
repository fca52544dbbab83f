import BerthCore
import BerthRuntime
#if canImport(Glibc)
import Glibc
#endif

extension RuntimeCLI {
    func pauseOrResume(_ id: String, pause: Bool) throws {
        let container = try ContainerDirectory(root: line.root, id: id)
        let record = try container.load()
        let status = container.status(of: record)
        guard status == .running || status == .paused, let cgroup = record.cgroup else {
            throw RuntimeError(kind: .conflict, message: "container not running")
        }
        if pause { try cgroup.freeze() } else { try cgroup.thaw() }
    }

    /// `ps --format json`: the pids of the container's processes; `table`: pid and command.
    func ps(_ id: String) throws {
        let container = try ContainerDirectory(root: line.root, id: id)
        let record = try container.load()
        guard container.status(of: record) != .stopped, let cgroup = record.cgroup else {
            throw RuntimeError(kind: .conflict, message: "container not running")
        }
        let pids = try cgroup.processes().sorted()
        if line.options["format"] == "json" {
            print("[" + pids.map(String.init).joined(separator: ",") + "]")
            return
        }
        print("PID\tCMD")
        for pid in pids {
            let command = (SmallFile.text("/proc/\(pid)/cmdline") ?? "").split(separator: "\0").joined(separator: " ")
            print("\(pid)\t\(command)")
        }
    }

    /// `list`: the containers under the root, as a table or (`--format json`) runc's JSON.
    func list() throws {
        let containers = ContainerDirectory.all(in: line.root).compactMap { container -> (ContainerDirectory, ContainerDirectory.Record)? in
            (try? container.load()).map { (container, $0) }
        }
        if line.options["format"] == "json" {
            let states = containers.map { container, record in
                let status = container.status(of: record)
                return OCIState(ociVersion: record.spec.ociVersion, id: record.id, pid: status == .stopped ? 0 : record.pid,
                                status: status.rawValue, bundle: record.bundle, rootfs: record.rootfs, created: record.created, owner: "")
            }
            var writer = JSONWriter()
            writer.beginArray()
            for state in states { writer.write(state) }
            writer.endArray()
            print(String(decoding: writer.bytes, as: UTF8.self))
            return
        }
        if line.flag("quiet") {
            for (container, _) in containers { print(container.id) }
            return
        }
        print("ID\tPID\tSTATUS\tBUNDLE\tCREATED")
        for (container, record) in containers {
            let status = container.status(of: record)
            print("\(record.id)\t\(status == .stopped ? 0 : record.pid)\t\(status.rawValue)\t\(record.bundle)\t\(record.created)")
        }
    }

    /// `update --resources FILE|-`: new limits (the OCI `LinuxResources` JSON) for a running
    /// container, also kept in its state.
    func update(_ id: String) throws {
        let container = try ContainerDirectory(root: line.root, id: id)
        var record = try container.load()
        guard container.status(of: record) != .stopped, let cgroup = record.cgroup else {
            throw RuntimeError(kind: .conflict, message: "container not running")
        }
        var resources = record.spec.linux?.resources ?? RuntimeSpec.Resources()
        if let source = line.options["resources"] {
            let text = source == "-" ? readStandardInput() : (SmallFile.text(absolute(source)) ?? "")
            do {
                resources = try RuntimeSpec.Resources(jsonDocument: Array(text.utf8))
            } catch {
                throw RuntimeError.invalid("resources: \(error)")
            }
        }
        if let value = line.options["pids-limit"].flatMap({ Int64($0) }) { resources.pids = .init(limit: value) }
        if let value = line.options["memory"].flatMap({ Int64($0) }) {
            var memory = resources.memory ?? RuntimeSpec.Memory()
            memory.limit = value
            resources.memory = memory
        }
        if let value = line.options["cpu-shares"].flatMap({ UInt64($0) }) {
            var cpu = resources.cpu ?? RuntimeSpec.CPU()
            cpu.shares = value
            resources.cpu = cpu
        }
        // Device rules are set at creation; an update leaves them.
        var applied = resources
        applied.devices = nil
        try cgroup.update(applied)
        var linux = record.spec.linux ?? RuntimeSpec.Linux()
        linux.resources = resources
        record.spec.linux = linux
        try container.save(record)
    }

    /// `spec`: writes a `config.json` with Docker's defaults for a root at `rootfs`, running `sh`
    /// on a terminal, as `runc spec` writes one.
    func spec() throws {
        let bundle = absolute(line.options["bundle"] ?? ".")
        let path = bundle + "/config.json"
        guard access(path, F_OK) != 0 else { throw RuntimeError(kind: .conflict, message: "File config.json exists. Remove it first") }
        var spec = RuntimeSpec.dockerDefaults(root: "rootfs", args: ["sh"])
        spec.process?.terminal = true
        spec.hostname = "berth"
        try DurableFile.write(spec.jsonDocument, to: path)
    }

    private func readStandardInput() -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `features`: what this runtime supports, in runc's format.
    static var features: String {
        let capabilities = Capability.knownNames.map { "\"\($0)\"" }.joined(separator: ",")
        return """
            {"ociVersionMin":"1.0.0","ociVersionMax":"1.0.2","hooks":[],"mountOptions":["async","atime","bind","defaults","dev",\
            "diratime","dirsync","exec","mand","noatime","nodev","nodiratime","noexec","nomand","norelatime","nostrictatime",\
            "nosuid","private","rbind","relatime","remount","ro","rprivate","rshared","rslave","runbindable","rw","shared",\
            "slave","strictatime","suid","sync","unbindable"],"linux":{"namespaces":["cgroup","ipc","mount","network","pid",\
            "uts"],"capabilities":[\(capabilities)],"cgroup":{"v1":true,"v2":true,"systemd":false,"systemdUser":false},\
            "seccomp":{"enabled":true,"actions":["SCMP_ACT_ALLOW","SCMP_ACT_ERRNO","SCMP_ACT_KILL","SCMP_ACT_KILL_PROCESS",\
            "SCMP_ACT_KILL_THREAD","SCMP_ACT_LOG","SCMP_ACT_TRACE","SCMP_ACT_TRAP"],"operators":["SCMP_CMP_EQ","SCMP_CMP_GE",\
            "SCMP_CMP_GT","SCMP_CMP_LE","SCMP_CMP_LT","SCMP_CMP_MASKED_EQ","SCMP_CMP_NE"],"archs":["SCMP_ARCH_X86",\
            "SCMP_ARCH_X86_64","SCMP_ARCH_X32","SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"]},"apparmor":{"enabled":false},\
            "selinux":{"enabled":false}}}
            """
    }

    static let usage = """
        berth-runtime: Berth's container runtime, with runc's command line.

        Usage: berth-runtime [global options] command [command options] [arguments...]

        Global options:
           --root PATH          where containers' state lives (default /run/berth-runtime)
           --log PATH           also write errors to this file
           --log-format FORMAT  text or json (default text)
           --debug              accepted; berth-runtime logs errors only
           --systemd-cgroup     refused: berth-runtime drives cgroupfs
           --version, --help

        Commands:
           create --bundle DIR [--pid-file FILE] [--console-socket SOCKET] ID
           start ID                       run the created container's command
           run --bundle DIR [--detach] ID create, start, wait, delete
           state ID                       the container's state as JSON
           kill [--all] ID [SIGNAL]       default SIGTERM
           delete [--force] ID
           exec [--process FILE | --tty --cwd DIR --env K=V --user UID[:GID]] [--detach] [--pid-file FILE] ID [COMMAND...]
           pause ID, resume ID
           ps [--format json|table] ID
           list [--format json] [--quiet]
           update [--resources FILE|-] [--pids-limit N] [--memory BYTES] [--cpu-shares N] ID
           features                       what this runtime supports, as JSON
           spec [--bundle DIR]            write a config.json with Docker's defaults

        """
}
