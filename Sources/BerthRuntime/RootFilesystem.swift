import BerthCore
import CBerthRuntime
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Builds a container's root file system inside its init, in its new mount namespace: the
/// mounts of its configuration, `/dev`, then `pivot_root` into it and the masks. Every mount
/// point is resolved inside the root through a descriptor (`openat2` with RESOLVE_IN_ROOT) and
/// mounted through `/proc/self/fd/N`, so a symlink in the image cannot send a mount outside the
/// root (CVE-2021-30465). Synchronous: it runs in the single-threaded init.
struct RootFilesystem {
    let spec: RuntimeSpec
    let root: String
    /// The container's cgroup, shown at a `cgroup` mount.
    let cgroup: Cgroup?

    /// Docker's default device nodes, made in a container's `/dev` tmpfs.
    static let defaultDevices: [RuntimeSpec.Device] = [
        .init(path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0),
        .init(path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0),
        .init(path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0),
        .init(path: "/dev/random", type: "c", major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0),
        .init(path: "/dev/urandom", type: "c", major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0),
        .init(path: "/dev/tty", type: "c", major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0),
    ]

    /// Everything up to and including `pivot_root`: afterwards `/` is the container's root.
    func prepare() throws(RuntimeError) {
        // Nothing done here may reach the host's mounts: make every mount a slave (or what the
        // configuration asks for) before the first one.
        let propagation = spec.linux?.rootfsPropagation.flatMap { MountOptions.propagations[$0] } ?? UInt(MS_SLAVE | MS_REC)
        try mountCall(nil, "/", nil, propagation, nil, what: "make / \(spec.linux?.rootfsPropagation ?? "rslave")")
        // pivot_root needs the root to be a mount point.
        try mountCall(root, root, nil, UInt(MS_BIND | MS_REC), nil, what: "bind the root \(root) onto itself")

        let rootFD = open(root, BERTH_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw RuntimeError.system("open the root \(root)", errno) }
        defer { close(rootFD) }
        var devIsTmpfs = false
        for mount in spec.mounts ?? [] {
            try apply(mount, rootFD: rootFD)
            if Self.clean(mount.destination) == "/dev" && mount.type == "tmpfs" { devIsTmpfs = true }
        }
        if devIsTmpfs { try populateDev(rootFD: rootFD) }
        try pivot()
    }

    /// After `pivot_root` and the sysctls: read-only and masked paths, then a read-only root.
    func finish() throws(RuntimeError) {
        for path in spec.linux?.readonlyPaths ?? [] { try makeReadOnly(path) }
        for path in spec.linux?.maskedPaths ?? [] { try mask(path) }
        if spec.root?.readonly == true {
            try mountCall(nil, "/", nil, UInt(MS_BIND | MS_REMOUNT | MS_RDONLY) | currentFlags("/"), nil,
                          what: "remount the root read-only")
        }
    }

    // MARK: Mounts

    private func apply(_ mount: RuntimeSpec.Mount, rootFD: Int32) throws(RuntimeError) {
        let destination = Self.clean(mount.destination)
        guard destination.hasPrefix("/") else {
            throw RuntimeError.invalid("mount destination \(mount.destination) is not absolute")
        }
        let options = MountOptions(mount.options ?? [])
        if mount.type == "cgroup" || mount.type == "cgroup2" {
            return try mountCgroups(at: destination, options: options, rootFD: rootFD)
        }
        let type = mount.type ?? (options.isBind ? "bind" : "")
        let source = mount.source ?? type
        var sourceIsFile = false
        if options.isBind {
            var info = stat()
            guard stat(source, &info) == 0 else {
                throw RuntimeError(kind: .invalidParameter,
                                   message: "error mounting \"\(source)\" to rootfs at \"\(destination)\": stat \(source): \(errnoText(errno))")
            }
            sourceIsFile = UInt32(info.st_mode) & UInt32(S_IFMT) != UInt32(S_IFDIR)
        }
        let target = try mountPoint(destination, rootFD: rootFD, file: sourceIsFile)
        defer { close(target) }
        let path = "/proc/self/fd/\(target)"
        let failure = { (code: Int32) in
            RuntimeError(kind: .system, message: "error mounting \"\(source)\" to rootfs at \"\(destination)\": \(errnoText(code))")
        }
        if options.isBind {
            guard Glibc.mount(source, path, nil, options.flags & UInt(MS_BIND | MS_REC), nil) == 0 else { throw failure(errno) }
            // A bind mount takes ro, nosuid, … only when remounted.
            if options.bindRemountFlags != 0 {
                let mounted = try mountPoint(destination, rootFD: rootFD, file: sourceIsFile)
                defer { close(mounted) }
                let mountedPath = "/proc/self/fd/\(mounted)"
                let flags = UInt(MS_BIND | MS_REMOUNT) | options.bindRemountFlags | currentFlags(mountedPath)
                guard Glibc.mount(nil, mountedPath, nil, flags, nil) == 0 else { throw failure(errno) }
            }
        } else {
            let result: Int32 = if let data = options.dataString {
                Glibc.mount(source, path, type, options.flags, data)
            } else {
                Glibc.mount(source, path, type, options.flags, nil)
            }
            guard result == 0 else { throw failure(errno) }
        }
        if !options.propagation.isEmpty {
            // The descriptor opened before the mount names what lies under it: open it again.
            let mounted = try mountPoint(destination, rootFD: rootFD, file: sourceIsFile)
            defer { close(mounted) }
            for propagation in options.propagation {
                guard Glibc.mount(nil, "/proc/self/fd/\(mounted)", nil, propagation, nil) == 0 else { throw failure(errno) }
            }
        }
    }

    /// `/sys/fs/cgroup` as runc shows it: with a cgroup namespace of its own, the hierarchies
    /// mounted afresh (their root is the container's cgroup); without one, the container's own
    /// directory of each hierarchy bound there, so that a container sees its cgroup and nothing
    /// above it. v1 hierarchies sit on a tmpfs, each in a directory named as on the host, with a
    /// link for each controller of a combined one (`cpu` → `cpu,cpuacct`).
    private func mountCgroups(at destination: String, options: MountOptions, rootFD: Int32) throws(RuntimeError) {
        guard let cgroup else { throw RuntimeError.invalid("a cgroup mount at \(destination) needs the container's cgroup") }
        let ownNamespace = spec.linux?.namespaces?.contains { $0.type == "cgroup" && ($0.path ?? "").isEmpty } ?? false
        let flags = options.flags & UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_NOATIME)
        let readOnly = options.isReadOnly
        let failure = { (code: Int32, step: String) in
            RuntimeError(kind: .system, message: "error mounting \"cgroup\" to rootfs at \"\(destination)\": \(step): \(errnoText(code))")
        }

        /// Mounts one hierarchy at `at` inside the root.
        func mountHierarchy(_ at: String, type: String, data: String?, hostDirectory: String) throws(RuntimeError) {
            let point = try mountPoint(at, rootFD: rootFD, file: false)
            defer { close(point) }
            let target = "/proc/self/fd/\(point)"
            if ownNamespace {
                let result = data.map { Glibc.mount("cgroup", target, type, flags | (readOnly ? UInt(MS_RDONLY) : 0), $0) }
                    ?? Glibc.mount("cgroup", target, type, flags | (readOnly ? UInt(MS_RDONLY) : 0), nil)
                guard result == 0 else { throw failure(errno, "mount \(type) \(data ?? "")") }
            } else {
                guard Glibc.mount(hostDirectory, target, nil, UInt(MS_BIND | MS_REC), nil) == 0 else { throw failure(errno, "bind \(hostDirectory)") }
                let mounted = try mountPoint(at, rootFD: rootFD, file: false)
                defer { close(mounted) }
                let remount = UInt(MS_BIND | MS_REMOUNT) | flags | (readOnly ? UInt(MS_RDONLY) : 0)
                guard Glibc.mount(nil, "/proc/self/fd/\(mounted)", nil, remount, nil) == 0 else {
                    throw failure(errno, "remount \(hostDirectory)")
                }
            }
        }

        if cgroup.layout.mode == .v2 {
            try mountHierarchy(destination, type: "cgroup2", data: nil, hostDirectory: (cgroup.layout.unified ?? "") + cgroup.path)
            return
        }
        let base = try mountPoint(destination, rootFD: rootFD, file: false)
        defer { close(base) }
        guard Glibc.mount("tmpfs", "/proc/self/fd/\(base)", "tmpfs", flags, "mode=755") == 0 else { throw failure(errno, "tmpfs") }
        var hierarchies: [(name: String, type: String, data: String?, host: String, controllers: [String])] = cgroup.layout.v1.map {
            let name = String($0.mountPoint.split(separator: "/").last ?? "")
            let data = $0.controllers.map { $0.hasPrefix("name=") ? "none," + $0 : $0 }.joined(separator: ",")
            return (name, "cgroup", data, $0.mountPoint + cgroup.path, $0.controllers)
        }
        if let unified = cgroup.layout.unified {
            hierarchies.append((String(unified.split(separator: "/").last ?? "unified"), "cgroup2", nil, unified + cgroup.path, []))
        }
        let tmpfs = try mountPoint(destination, rootFD: rootFD, file: false)
        defer { close(tmpfs) }
        for hierarchy in hierarchies where !hierarchy.name.isEmpty {
            try mountHierarchy(destination + "/" + hierarchy.name, type: hierarchy.type, data: hierarchy.data, hostDirectory: hierarchy.host)
            let controllers = hierarchy.controllers.filter { !$0.hasPrefix("name=") }
            if controllers.count > 1 {
                for controller in controllers where controller != hierarchy.name {
                    _ = symlinkat(hierarchy.name, tmpfs, controller)
                }
            }
        }
        if readOnly {
            guard Glibc.mount(nil, "/proc/self/fd/\(tmpfs)", nil, UInt(MS_REMOUNT | MS_RDONLY) | flags, nil) == 0 else {
                throw failure(errno, "remount read-only")
            }
        }
    }

    /// Opens (creating it if needed) the mount point `destination` inside the root: a directory,
    /// or an empty file for a file bind mount. Returns an BERTH_O_PATH descriptor.
    private func mountPoint(_ destination: String, rootFD: Int32, file: Bool) throws(RuntimeError) -> Int32 {
        let components = destination.split(separator: "/").map(String.init)
        var resolved = ""
        for (index, name) in components.enumerated() {
            let path = resolved + "/" + name
            let last = index == components.count - 1
            var fd = berth_openat_in_root(rootFD, path, BERTH_O_PATH | O_CLOEXEC, 0)
            if fd < 0 && errno == ENOENT {
                let parent = berth_openat_in_root(rootFD, resolved.isEmpty ? "/" : resolved, O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0)
                guard parent >= 0 else { throw RuntimeError.system("open \(resolved.isEmpty ? "/" : resolved) in the root", errno) }
                defer { close(parent) }
                if last && file {
                    let created = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o644)
                    if created >= 0 { close(created) }
                } else {
                    _ = mkdirat(parent, name, 0o755)
                }
                fd = berth_openat_in_root(rootFD, path, BERTH_O_PATH | O_CLOEXEC, 0)
            }
            guard fd >= 0 else { throw RuntimeError.system("mount point \(destination) in the root", errno) }
            if last { return fd }
            close(fd)
            resolved = path
        }
        // `/` itself.
        let fd = berth_openat_in_root(rootFD, "/", BERTH_O_PATH | O_CLOEXEC, 0)
        guard fd >= 0 else { throw RuntimeError.system("open the root", errno) }
        return fd
    }

    /// Device nodes, the standard links and `/dev/ptmx` in a `/dev` tmpfs.
    private func populateDev(rootFD: Int32) throws(RuntimeError) {
        let dev = berth_openat_in_root(rootFD, "/dev", O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0)
        guard dev >= 0 else { throw RuntimeError.system("open /dev in the root", errno) }
        defer { close(dev) }
        let previousMask = umask(0)
        defer { umask(previousMask) }
        var devices = Self.defaultDevices
        for device in spec.linux?.devices ?? [] {
            devices.removeAll { $0.path == device.path }
            devices.append(device)
        }
        for device in devices {
            guard device.path.hasPrefix("/dev/") else { throw RuntimeError.invalid("device \(device.path) is not under /dev") }
            let name = String(device.path.dropFirst(5))
            let kind: UInt32 = switch device.type {
            case "c", "u": UInt32(S_IFCHR)
            case "b": UInt32(S_IFBLK)
            case "p": UInt32(S_IFIFO)
            default: throw RuntimeError.invalid("device \(device.path) has type \(device.type)")
            }
            if name.contains("/") {
                let parent = String(name[..<(name.lastIndex(of: "/") ?? name.endIndex)])
                close(try mountPoint("/dev/" + parent, rootFD: rootFD, file: false))
            }
            unlinkat(dev, name, 0)
            let mode = kind | (device.fileMode ?? 0o666) & 0o7777
            guard berth_mknodat(dev, name, mode, UInt32(device.major ?? 0), UInt32(device.minor ?? 0)) == 0 else {
                throw RuntimeError.system("mknod \(device.path)", errno)
            }
            guard fchownat(dev, name, device.uid ?? 0, device.gid ?? 0, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw RuntimeError.system("chown \(device.path)", errno)
            }
        }
        for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                               ("stderr", "/proc/self/fd/2"), ("core", "/proc/kcore")] {
            guard symlinkat(target, dev, name) == 0 || errno == EEXIST else { throw RuntimeError.system("symlink /dev/\(name)", errno) }
        }
        // With a devpts of its own (`newinstance`), the container's ptmx is that one's.
        unlinkat(dev, "ptmx", 0)
        guard symlinkat("pts/ptmx", dev, "ptmx") == 0 else { throw RuntimeError.system("symlink /dev/ptmx", errno) }
    }

    /// `pivot_root(".", ".")` in the new root, then the old root detached from under it.
    private func pivot() throws(RuntimeError) {
        guard chdir(root) == 0 else { throw RuntimeError.system("chdir \(root)", errno) }
        guard berth_pivot_root(".", ".") == 0 else { throw RuntimeError.system("pivot_root \(root)", errno) }
        // The old root is stacked under the new one at "."; keep its unmount from propagating.
        try mountCall(nil, ".", nil, UInt(MS_SLAVE | MS_REC), nil, what: "make the old root a slave")
        guard umount2(".", Int32(MNT_DETACH)) == 0 else { throw RuntimeError.system("detach the old root", errno) }
        guard chdir("/") == 0 else { throw RuntimeError.system("chdir /", errno) }
    }

    // MARK: After pivot_root

    private func makeReadOnly(_ path: String) throws(RuntimeError) {
        guard Glibc.mount(path, path, nil, UInt(MS_BIND | MS_REC), nil) == 0 else {
            if errno == ENOENT { return }
            throw RuntimeError.system("bind \(path) read-only", errno)
        }
        let flags = UInt(MS_BIND | MS_REMOUNT | MS_RDONLY) | currentFlags(path)
        guard Glibc.mount(nil, path, nil, flags, nil) == 0 else { throw RuntimeError.system("remount \(path) read-only", errno) }
    }

    /// A directory is hidden under an empty read-only tmpfs, a file under `/dev/null`.
    private func mask(_ path: String) throws(RuntimeError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw RuntimeError.system("mask \(path)", errno)
        }
        if UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFDIR) {
            guard Glibc.mount("tmpfs", path, "tmpfs", UInt(MS_RDONLY), nil) == 0 else { throw RuntimeError.system("mask \(path)", errno) }
        } else {
            guard Glibc.mount("/dev/null", path, nil, UInt(MS_BIND), nil) == 0 else { throw RuntimeError.system("mask \(path)", errno) }
        }
    }

    // MARK: Helpers

    private func mountCall(_ source: String?, _ target: String, _ type: String?, _ flags: UInt, _ data: String?,
                           what: String) throws(RuntimeError) {
        guard Glibc.mount(source, target, type, flags, data) == 0 else { throw RuntimeError.system(what, errno) }
    }

    /// The flags a bind remount must keep (a remount drops what it does not repeat, and the
    /// kernel refuses to drop nosuid, nodev, noexec or atime flags that it locked).
    private func currentFlags(_ path: String) -> UInt {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        var flags: UInt = 0
        let known: [(UInt, Int)] = [
            (UInt(BERTH_ST_NOSUID), MS_NOSUID), (UInt(BERTH_ST_NODEV), MS_NODEV),
            (UInt(BERTH_ST_NOEXEC), MS_NOEXEC), (UInt(BERTH_ST_NOATIME), MS_NOATIME),
            (UInt(BERTH_ST_NODIRATIME), MS_NODIRATIME), (UInt(BERTH_ST_RELATIME), MS_RELATIME),
            (UInt(BERTH_ST_RDONLY), MS_RDONLY),
        ]
        for (statFlag, mountFlag) in known where info.f_flag & statFlag != 0 { flags |= UInt(mountFlag) }
        return flags
    }

    /// `path` without `.` components, repeated or trailing slashes.
    static func clean(_ path: String) -> String {
        "/" + path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}
