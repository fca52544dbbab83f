import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The namespace steps init's constructor takes before the Swift runtime starts: which
/// namespaces to create (`unshare`) and which to join (`setns`, by path), encoded as
/// `struct berth_bootstrap` and its join entries.
struct Bootstrap: Equatable {
    var unshareFlags: UInt32 = 0
    var joins: [(type: UInt32, path: String)] = []
    /// A running container's pidfd, as a descriptor number in init, and the namespaces to join
    /// through it.
    var pidfd: Int32 = -1
    var pidfdFlags: UInt32 = 0
    /// The cgroup init moves itself into first (BERTH_JOIN_CGROUP_* entries).
    var cgroups: [(type: UInt32, path: String)] = []

    static func == (a: Bootstrap, b: Bootstrap) -> Bool {
        a.unshareFlags == b.unshareFlags && a.pidfd == b.pidfd && a.pidfdFlags == b.pidfdFlags
            && a.joins.elementsEqual(b.joins) { $0.type == $1.type && $0.path == $1.path }
            && a.cgroups.elementsEqual(b.cgroups) { $0.type == $1.type && $0.path == $1.path }
    }

    /// Has init move itself into `cgroup`, in every hierarchy, before any namespace step: a
    /// process moving itself takes no global lock (see BERTH_JOIN_CGROUP_V1_TASKS).
    mutating func join(_ cgroup: Cgroup) {
        cgroups = cgroup.layout.v1.map { (BERTH_JOIN_CGROUP_V1_TASKS, $0.mountPoint + cgroup.path + "/tasks") }
            + (cgroup.unifiedDirectory.map { [(BERTH_JOIN_CGROUP_V2, $0)] } ?? [])
    }

    /// Joining every namespace of a running container: through its pidfd (descriptor `pidfd` in
    /// init), or, where the kernel cannot, through the namespace files at `paths`.
    init(joining paths: [(type: UInt32, path: String)], pidfd: Int32) {
        joins = paths
        self.pidfd = pidfd
        pidfdFlags = paths.reduce(0) { $0 | $1.type }
    }

    /// CLONE_NEW* by the OCI spec's namespace names.
    static let flags: [String: Int32] = [
        "pid": BERTH_CLONE_NEWPID, "network": BERTH_CLONE_NEWNET, "mount": BERTH_CLONE_NEWNS, "ipc": BERTH_CLONE_NEWIPC,
        "uts": BERTH_CLONE_NEWUTS, "user": BERTH_CLONE_NEWUSER, "cgroup": BERTH_CLONE_NEWCGROUP,
    ]

    init(spec: RuntimeSpec) throws(RuntimeError) {
        var seen: Set<String> = []
        for namespace in spec.linux?.namespaces ?? [] {
            guard let flag = Self.flags[namespace.type] else {
                throw RuntimeError.invalid("unknown namespace type \"\(namespace.type)\"")
            }
            guard seen.insert(namespace.type).inserted else {
                throw RuntimeError.invalid("namespace \"\(namespace.type)\" is listed twice")
            }
            if namespace.type == "user" {
                throw RuntimeError(kind: .notImplemented, message: "user namespaces are not supported")
            }
            if let path = namespace.path, !path.isEmpty {
                joins.append((UInt32(bitPattern: flag), path))
            } else {
                unshareFlags |= UInt32(bitPattern: flag)
            }
        }
        // Init pivots into the container's root, which only a mount namespace of its own allows.
        guard unshareFlags & UInt32(bitPattern: BERTH_CLONE_NEWNS) != 0 else {
            throw RuntimeError.invalid("a container needs a new mount namespace")
        }
    }

    /// The payload of the BERTH_MSG_BOOTSTRAP message.
    var payload: [UInt8] {
        var head = berth_bootstrap(magic: BERTH_BOOTSTRAP_MAGIC, unshare_flags: unshareFlags,
                                   join_count: UInt32(cgroups.count + joins.count), pidfd: pidfd, pidfd_flags: pidfdFlags)
        var bytes = withUnsafeBytes(of: &head) { Array($0) }
        for join in cgroups + joins {
            let path = Array(join.path.utf8)
            var entry: (UInt32, UInt32) = (join.type, UInt32(path.count))
            bytes += withUnsafeBytes(of: &entry) { Array($0) } + path
        }
        return bytes
    }
}
