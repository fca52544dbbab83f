import BerthCore

/// Where this host mounts its cgroup hierarchies: v1 hierarchies (one per controller or group of
/// controllers, plus systemd's named one), a cgroup2 mount, or both (systemd's hybrid layout: v1
/// controllers, and a cgroup2 mount at `/sys/fs/cgroup/unified` for process tracking).
public struct CgroupLayout: Sendable, Equatable {
    /// A v1 hierarchy: its mount point and the controllers bound to it (`cpu`, `memory`,
    /// `name=systemd`, …).
    public struct Hierarchy: Sendable, Equatable {
        public var mountPoint: String
        public var controllers: [String]

        public init(mountPoint: String, controllers: [String]) {
            self.mountPoint = mountPoint
            self.controllers = controllers
        }
    }

    public var v1: [Hierarchy]
    /// The cgroup2 mount point, if there is one.
    public var unified: String?

    public init(v1: [Hierarchy], unified: String?) {
        self.v1 = v1
        self.unified = unified
    }

    public enum Mode: String, Sendable {
        case v1, v2, hybrid
    }

    /// v2 alone, v1 alone, or both.
    public var mode: Mode {
        if v1.isEmpty { return .v2 }
        return unified == nil ? .v1 : .hybrid
    }

    /// The layout of this process's mount namespace (`/proc/self/mountinfo`).
    public static func current() -> CgroupLayout {
        parse(mountinfo: SmallFile.text("/proc/self/mountinfo") ?? "")
    }

    /// Reads the cgroup mounts of a mountinfo text: fields 5 (mount point) and, after the `-`
    /// separator, the file system type and the super options (the v1 controllers).
    static func parse(mountinfo: String) -> CgroupLayout {
        var v1: [Hierarchy] = []
        var unified: String?
        for line in mountinfo.split(separator: "\n") where mountsCgroup(line) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > 6, let separator = fields.firstIndex(of: "-"), separator + 3 < fields.count else { continue }
            let mountPoint = unescape(fields[4])
            switch fields[separator + 1] {
            case "cgroup2":
                if unified == nil { unified = mountPoint }
            case "cgroup":
                let known = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb",
                             "perf_event", "net_cls", "net_prio", "rdma", "misc"]
                let controllers = fields[separator + 3].split(separator: ",").map(String.init)
                    .filter { known.contains($0) || $0.hasPrefix("name=") }
                if !controllers.isEmpty, !v1.contains(where: { $0.controllers == controllers }) {
                    v1.append(Hierarchy(mountPoint: mountPoint, controllers: controllers))
                }
            default:
                continue
            }
        }
        return CgroupLayout(v1: v1, unified: unified)
    }

    /// Whether a mountinfo line has `cgroup` or `cgroup2` as its type, looked for in its bytes:
    /// most lines are not, and splitting each into strings cost a fresh runtime 0.2 ms.
    private static func mountsCgroup(_ line: Substring) -> Bool {
        let marker = " - cgroup ".utf8, marker2 = " - cgroup2 ".utf8
        let bytes = Array(line.utf8)
        guard bytes.count >= marker.count else { return false }
        for start in 0...(bytes.count - marker.count) where bytes[start] == UInt8(ascii: " ") && bytes[start + 1] == UInt8(ascii: "-") {
            if bytes[start...].starts(with: marker) || bytes[start...].starts(with: marker2) { return true }
        }
        return false
    }

    /// The v1 hierarchy that carries `controller`.
    public func hierarchy(for controller: String) -> Hierarchy? {
        v1.first { $0.controllers.contains(controller) }
    }

    /// mountinfo writes space, tab, newline and backslash as octal escapes.
    private static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension CgroupLayout: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var v1: [Hierarchy] = [], unified: String?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "v1": v1 = try reader.readArray(of: Hierarchy.self) ?? []
            case "unified": unified = try reader.readOptionalString()
            default: try reader.skipValue()
            }
        }
        self.init(v1: v1, unified: unified)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("v1", v1)
        writer.member("unified", unified)
        writer.endObject()
    }
}

extension CgroupLayout.Hierarchy: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var mountPoint: String?, controllers: [String] = []
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "mountPoint": mountPoint = try reader.readString()
            case "controllers": controllers = try reader.readStrings()
            default: try reader.skipValue()
            }
        }
        guard let mountPoint else { throw reader.missing("mountPoint") }
        self.init(mountPoint: mountPoint, controllers: controllers)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("mountPoint", mountPoint)
        writer.member("controllers", controllers)
        writer.endObject()
    }
}
