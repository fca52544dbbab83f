extension RuntimeSpec {
    /// Docker's paths that a container cannot read: hidden under an empty tmpfs or `/dev/null`.
    public static let dockerMaskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    ]
    /// Docker's paths that a container can read but not write.
    public static let dockerReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// Docker's mounts: proc, a tmpfs `/dev` with its own devpts, shm and mqueue, sysfs read-only.
    public static let dockerMounts: [Mount] = [
        Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
              options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
    ]

    /// Docker's `/sys/fs/cgroup`: the container's own cgroup, read-only (needs the container's
    /// cgroup at creation).
    public static let dockerCgroupMount = Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                                                options: ["ro", "nosuid", "noexec", "nodev"])

    /// What Docker gives a container that asks for nothing: new pid, network, ipc, uts and mount
    /// namespaces, Docker's mounts, masked and read-only paths, its 14 capabilities and its
    /// seccomp profile, root, `/` as the working directory.
    public static func dockerDefaults(root: String, args: [String], environment: [String] = [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]) -> RuntimeSpec {
        var spec = RuntimeSpec()
        var process = Process()
        process.args = args
        process.env = environment
        let capabilities = Capability.dockerDefaults
        process.capabilities = Capabilities(bounding: capabilities, effective: capabilities, inheritable: capabilities,
                                            permitted: capabilities)
        spec.process = process
        spec.root = Root(path: root)
        spec.mounts = dockerMounts
        var linux = Linux()
        linux.namespaces = ["mount", "network", "uts", "pid", "ipc"].map { Namespace(type: $0) }
        linux.maskedPaths = dockerMaskedPaths
        linux.readonlyPaths = dockerReadonlyPaths
        linux.seccomp = SeccompProfile.dockerDefault(capabilities: capabilities)
        spec.linux = linux
        return spec
    }
}

extension RuntimeSpec.DeviceRule {
    /// What every container may use whatever its configuration says (runc's list): mknod of
    /// any device, the nodes of the default /dev, the ptys, and /dev/net/tun.
    public static let alwaysAllowed: [Self] = [
        Self(allow: true, type: "c", access: "m"), Self(allow: true, type: "b", access: "m"),
        Self(allow: true, type: "c", major: 1, minor: 3, access: "rwm"), Self(allow: true, type: "c", major: 1, minor: 8, access: "rwm"),
        Self(allow: true, type: "c", major: 1, minor: 7, access: "rwm"), Self(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),
        Self(allow: true, type: "c", major: 1, minor: 5, access: "rwm"), Self(allow: true, type: "c", major: 1, minor: 9, access: "rwm"),
        Self(allow: true, type: "c", major: 136, access: "rwm"), Self(allow: true, type: "c", major: 5, minor: 2, access: "rwm"),
        Self(allow: true, type: "c", major: 10, minor: 200, access: "rwm"),
    ]
}
