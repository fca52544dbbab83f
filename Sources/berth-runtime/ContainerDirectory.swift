import BerthCore
import BerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A container's state under the runtime's root: `<root>/<id>/state.json` (what `create`
/// learned: init's pid and start time, the bundle, the configuration, the cgroup) and, until
/// `start`, the `exec.fifo` that init waits on.
struct ContainerDirectory {
    let root: String
    let id: String

    var path: String { root + "/" + id }
    var fifo: String { path + "/exec.fifo" }
    var stateFile: String { path + "/state.json" }

    /// What `create` records.
    struct Record: JSONReadable, JSONWritable {
        var id: String
        var pid: Int32
        /// Field 22 of `/proc/PID/stat` when created: a process that later takes the pid has
        /// another.
        var startTime: UInt64
        var bundle: String
        var rootfs: String
        var created: String
        var spec: RuntimeSpec
        var cgroup: Cgroup?
    }

    enum Status: String {
        case created, running, paused, stopped
    }

    /// runc's rule for IDs: letters, digits, `_`, `+`, `-`, `.`, not `.` or `..`.
    init(root: String, id: String) throws(RuntimeError) {
        let allowed = id.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "_+-.".unicodeScalars.contains($0) }
        guard !id.isEmpty, allowed, id != ".", id != ".." else { throw RuntimeError.invalid("invalid container id format: \(id)") }
        self.root = root
        self.id = id
    }

    /// Creates the directory and the FIFO; an existing container is an error.
    func create() throws(RuntimeError) {
        do { try makeDirectories(root, mode: 0o711) } catch { throw RuntimeError(kind: .system, message: "\(error)") }
        guard mkdir(path, 0o711) == 0 else {
            if errno == EEXIST { throw RuntimeError(kind: .conflict, message: "container with id exists: \(id)") }
            throw RuntimeError.system("mkdir \(path)", errno)
        }
        let previous = umask(0)
        defer { umask(previous) }
        guard mkfifo(fifo, 0o622) == 0 else { throw RuntimeError.system("mkfifo \(fifo)", errno) }
    }

    func load() throws(RuntimeError) -> Record {
        guard let text = SmallFile.text(stateFile) else {
            throw RuntimeError(kind: .notFound, message: "container does not exist")
        }
        do {
            return try Record(jsonDocument: Array(text.utf8))
        } catch {
            throw RuntimeError(kind: .system, message: "read \(stateFile): \(error)")
        }
    }

    /// Replaces the state whole; unflushed, as runc's: a power loss ends its containers too.
    func save(_ record: Record) throws(RuntimeError) {
        do {
            try DurableFile.write(record.jsonDocument, to: stateFile, flushed: false)
        } catch {
            throw RuntimeError(kind: .system, message: "write \(stateFile): \(error)")
        }
    }

    func remove() {
        unlink(fifo)
        unlink(stateFile)
        rmdir(path)
    }

    /// Where the container is in its life, from its init's process and its cgroup.
    func status(of record: Record) -> Status {
        guard ProcessStat.isRunning(record.pid, startedAt: record.startTime) else { return .stopped }
        if access(fifo, F_OK) == 0 { return .created }
        if record.cgroup?.isFrozen == true { return .paused }
        return .running
    }

    /// Every container under `root`.
    static func all(in root: String) -> [ContainerDirectory] {
        guard let directory = opendir(root) else { return [] }
        defer { closedir(directory) }
        var found: [ContainerDirectory] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != "..", let container = try? ContainerDirectory(root: root, id: name),
               access(container.stateFile, F_OK) == 0 {
                found.append(container)
            }
        }
        return found.sorted { $0.id < $1.id }
    }
}

extension ContainerDirectory.Record {
    init(json reader: inout JSONReader) throws(JSONError) {
        var id: String?, pid: Int32?, startTime: UInt64 = 0, bundle = "", rootfs = "", created = ""
        var spec: RuntimeSpec?, cgroup: Cgroup?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "id": id = try reader.readString()
            case "pid": pid = try reader.readInteger()
            case "startTime": startTime = try reader.readInteger()
            case "bundle": bundle = try reader.readString()
            case "rootfs": rootfs = try reader.readString()
            case "created": created = try reader.readString()
            case "spec": spec = try reader.read()
            case "cgroup": cgroup = try reader.read()
            default: try reader.skipValue()
            }
        }
        guard let id else { throw reader.missing("id") }
        guard let pid else { throw reader.missing("pid") }
        guard let spec else { throw reader.missing("spec") }
        self.init(id: id, pid: pid, startTime: startTime, bundle: bundle, rootfs: rootfs, created: created, spec: spec, cgroup: cgroup)
    }

    func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("id", id)
        writer.member("pid", pid)
        writer.member("startTime", startTime)
        writer.member("bundle", bundle)
        writer.member("rootfs", rootfs)
        writer.member("created", created)
        writer.member("spec", spec)
        writer.member("cgroup", cgroup)
        writer.endObject()
    }
}
