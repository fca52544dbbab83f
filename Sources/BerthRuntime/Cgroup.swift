import BerthCore
#if canImport(Glibc)
import Glibc
#endif

/// A container's cgroup, the same path in every hierarchy the host mounts: v1 controllers,
/// cgroup2, or both (hybrid: limits through v1, membership in the cgroup2 mount too, whose
/// `cgroup.kill` and `cgroup.freeze` work without controllers). One interface whatever the layout:
/// create with limits, update, freeze and thaw, kill every process, list them, count OOM
/// kills, destroy. Every call is blocking file-system work: make it from a blocking pool.
public struct Cgroup: Sendable, Equatable {
    /// The path inside each hierarchy (`/docker/<id>`), absolute, without `..`.
    public let path: String
    public let layout: CgroupLayout

    public init(path: String, layout: CgroupLayout = .current()) throws(RuntimeError) {
        guard !path.contains(":") else {
            throw RuntimeError(kind: .notImplemented, message: "systemd cgroup paths (\"\(path)\") are not supported: use the cgroupfs driver")
        }
        guard path.hasPrefix("/"), path.count > 1 else { throw RuntimeError.invalid("cgroup path \"\(path)\" must be absolute") }
        let components = path.split(separator: "/")
        guard !components.contains("..") && !components.contains(".") else {
            throw RuntimeError.invalid("cgroup path \"\(path)\" must not contain . or ..")
        }
        self.path = "/" + components.joined(separator: "/")
        self.layout = layout
    }

    /// This cgroup's directory in every hierarchy (v1 ones first, then cgroup2).
    var directories: [String] {
        layout.v1.map { $0.mountPoint + path } + (layout.unified.map { [$0 + path] } ?? [])
    }

    /// The directory in the v1 hierarchy of `controller`, or nil.
    func v1Directory(_ controller: String) -> String? {
        layout.hierarchy(for: controller).map { $0.mountPoint + path }
    }

    /// The directory in the cgroup2 mount, or nil.
    var unifiedDirectory: String? { layout.unified.map { $0 + path } }

    // MARK: Lifecycle

    /// Creates the directories, with the controllers v2 needs enabled above them, and applies
    /// `resources`; a device list is followed by the devices every container's /dev holds, as
    /// runc does (dockerd lists only its own, /dev/full and the ptys are missing from it). A
    /// failure removes what was created.
    public func create(_ resources: RuntimeSpec.Resources?) throws(RuntimeError) {
        var resources = resources
        if let rules = resources?.devices { resources?.devices = rules + RuntimeSpec.DeviceRule.alwaysAllowed }
        do {
            for hierarchy in layout.v1 {
                try makeDirectories(root: hierarchy.mountPoint, cpuset: hierarchy.controllers.contains("cpuset"))
            }
            if let unified = layout.unified {
                try makeDirectories(root: unified, cpuset: false)
                if layout.mode == .v2, let resources { enableControllers(root: unified, for: resources) }
            }
            if let resources { try update(resources) }
        } catch {
            try? destroy()
            throw error
        }
    }

    /// Applies `resources` to a cgroup that exists (also to a running container).
    public func update(_ resources: RuntimeSpec.Resources) throws(RuntimeError) {
        if layout.mode == .v2 {
            try CgroupLimitsV2(directory: unifiedDirectory ?? "").apply(resources)
        } else {
            try CgroupLimitsV1(cgroup: self).apply(resources)
        }
    }

    /// Removes the cgroup's directories (its ancestors stay). Processes that are still exiting
    /// keep a directory busy for a moment: retried for up to a second.
    public func destroy() throws(RuntimeError) {
        for directory in directories {
            var attempts = 0
            while rmdir(directory) != 0 {
                if errno == ENOENT { break }
                guard errno == EBUSY, attempts < 100 else { throw RuntimeError.system("remove cgroup \(directory)", errno) }
                attempts += 1
                usleep(10_000)
            }
        }
    }

    // MARK: Processes

    /// The processes in the cgroup.
    public func processes() throws(RuntimeError) -> [Int32] {
        guard let directory = unifiedDirectory ?? v1Directory("pids") ?? v1Directory("freezer") ?? directories.first else { return [] }
        return try CgroupFile.read(directory + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
    }

    /// Freezes every process: v1's freezer where the host binds it, else `cgroup.freeze`.
    /// Returns once the kernel reports the cgroup frozen.
    public func freeze() throws(RuntimeError) {
        if let freezer = v1Directory("freezer") {
            try CgroupFile.write(freezer + "/freezer.state", "FROZEN")
            try waitUntil(freezer + "/freezer.state") { $0 == "FROZEN" }
        } else if let unified = unifiedDirectory {
            try CgroupFile.write(unified + "/cgroup.freeze", "1")
            try waitUntil(unified + "/cgroup.events") { $0.split(separator: "\n").contains("frozen 1") }
        } else {
            throw RuntimeError(kind: .notImplemented, message: "this host has no freezer cgroup")
        }
    }

    public func thaw() throws(RuntimeError) {
        if let freezer = v1Directory("freezer") {
            try CgroupFile.write(freezer + "/freezer.state", "THAWED")
            try waitUntil(freezer + "/freezer.state") { $0 == "THAWED" }
        } else if let unified = unifiedDirectory {
            try CgroupFile.write(unified + "/cgroup.freeze", "0")
            try waitUntil(unified + "/cgroup.events") { $0.split(separator: "\n").contains("frozen 0") }
        }
    }

    /// Whether the cgroup is frozen (or freezing).
    public var isFrozen: Bool {
        if let freezer = v1Directory("freezer") {
            return (try? CgroupFile.read(freezer + "/freezer.state")).map { $0 != "THAWED" } ?? false
        }
        if let unified = unifiedDirectory {
            return (try? CgroupFile.read(unified + "/cgroup.events"))?.split(separator: "\n").contains("frozen 1") ?? false
        }
        return false
    }

    /// Sends `signal` to every process. SIGKILL on cgroup2 is `cgroup.kill`, which reaches
    /// frozen processes too; otherwise each process is signalled while the cgroup is frozen (so
    /// none forks past the list), and a frozen cgroup is thawed after a SIGKILL so that the
    /// kill takes effect (a frozen task sleeps through it; runc#3134).
    public func kill(_ signal: Int32) throws(RuntimeError) {
        let wasFrozen = isFrozen
        if signal == SIGKILL, let unified = unifiedDirectory, access(unified + "/cgroup.kill", W_OK) == 0 {
            try CgroupFile.write(unified + "/cgroup.kill", "1")
            // cgroup2's freezer lets the kill through; v1's does not.
            if wasFrozen && v1Directory("freezer") != nil { try thaw() }
            return
        }
        if !wasFrozen { try? freeze() }
        for pid in try processes() { _ = Glibc.kill(pid, signal) }
        if !wasFrozen || signal == SIGKILL { try? thaw() }
    }

    /// How many times the kernel's OOM killer has killed a process of this cgroup.
    public var oomKills: Int {
        let file: String? = if let memory = v1Directory("memory") {
            memory + "/memory.oom_control"
        } else {
            unifiedDirectory.map { $0 + "/memory.events" }
        }
        guard let file, let text = try? CgroupFile.read(file) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
            return Int(line.dropFirst("oom_kill ".count)) ?? 0
        }
        return 0
    }

    // MARK: Helpers

    /// Creates the path under `root` level by level; a new cpuset level gets its parent's CPUs
    /// and memory nodes (v1 starts it with none, and a task cannot join it then).
    private func makeDirectories(root: String, cpuset: Bool) throws(RuntimeError) {
        var current = root
        for component in path.split(separator: "/") {
            let parent = current
            current += "/" + component
            if mkdir(current, 0o755) != 0 {
                guard errno == EEXIST else { throw RuntimeError.system("create cgroup \(current)", errno) }
            }
            if cpuset {
                for file in ["cpuset.cpus", "cpuset.mems"] {
                    let mine = (try? CgroupFile.read(current + "/" + file)) ?? ""
                    if mine.isEmpty { try CgroupFile.write(current + "/" + file, try CgroupFile.read(parent + "/" + file)) }
                }
            }
        }
    }

    /// cgroup2: enables in every ancestor the controllers the container's limits use, so that
    /// their files exist in its directory. A level that refuses (it has processes of its own)
    /// leaves them off, and writing a limit then says which file is missing.
    private func enableControllers(root: String, for resources: RuntimeSpec.Resources) {
        var needed: [Substring] = []
        if resources.memory != nil { needed.append("memory") }
        if resources.cpu?.shares != nil || resources.cpu?.quota != nil || resources.cpu?.period != nil { needed.append("cpu") }
        if resources.cpu?.cpus != nil || resources.cpu?.mems != nil { needed.append("cpuset") }
        if resources.pids != nil { needed.append("pids") }
        if resources.blockIO != nil { needed.append("io") }
        var current = root
        for component in path.split(separator: "/") {
            let available = ((try? CgroupFile.read(current + "/cgroup.controllers")) ?? "").split(separator: " ")
            let wanted = available.filter { needed.contains($0) }
            if !wanted.isEmpty {
                try? CgroupFile.write(current + "/cgroup.subtree_control", wanted.map { "+" + $0 }.joined(separator: " "))
            }
            current += "/" + component
        }
    }

    /// Polls `file` until `done` holds for its text (a freeze completes within milliseconds;
    /// gives up after five seconds).
    private func waitUntil(_ file: String, _ done: (String) -> Bool) throws(RuntimeError) {
        for _ in 0..<5000 {
            if done(try CgroupFile.read(file)) { return }
            usleep(1000)
        }
        throw RuntimeError(kind: .system, message: "timed out waiting on \(file)")
    }
}

/// Reads and writes of cgroup files: no creation, no truncation (the kernel's files are not
/// regular files), the kernel's errno in the error.
enum CgroupFile {
    static func write(_ path: String, _ value: String) throws(RuntimeError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError.system("open \(path)", errno) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else {
            throw RuntimeError.system("write \(value) to \(path)", errno)
        }
    }

    /// The file's text without its trailing newline.
    static func read(_ path: String) throws(RuntimeError) -> String {
        guard let text = SmallFile.text(path) else { throw RuntimeError.system("read \(path)", errno) }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}

extension Cgroup: JSONReadable, JSONWritable {
    /// A cgroup as `write(json:)` wrote it, its path checked again.
    public init(json reader: inout JSONReader) throws(JSONError) {
        var path: String?, layout: CgroupLayout?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "path": path = try reader.readString()
            case "layout": layout = try CgroupLayout(json: &reader)
            default: try reader.skipValue()
            }
        }
        guard let path else { throw reader.missing("path") }
        guard let layout else { throw reader.missing("layout") }
        do {
            try self.init(path: path, layout: layout)
        } catch {
            throw reader.error(error.message)
        }
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("path", path)
        writer.member("layout", layout)
        writer.endObject()
    }
}
