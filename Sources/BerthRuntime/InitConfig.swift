/// What a container's init receives from its creator over the init socket, as JSON.
struct InitConfig: Codable, Sendable {
    /// The container's configuration, its root an absolute path.
    var spec: RuntimeSpec
    /// Wait for `start` by opening this FIFO for writing (`berth-runtime create`, whose process
    /// exits before `start` comes), instead of by a message on the init socket.
    var startFIFO: String?
    /// Send a terminal's master to this unix socket (`berth-runtime --console-socket`) instead of
    /// over the init socket.
    var consoleSocket: String?
    /// Run `spec.process` in a running container, whose namespaces init's constructor joined
    /// (`docker exec`), instead of setting up a new one.
    var joinsRunningContainer = false
    /// Stay as PID 1 and run the command as a child (`docker run --init`): forward signals to
    /// it, reap every zombie, exit with its status.
    var staysAsInit = false
    /// The container's cgroup, for a `cgroup` mount (`/sys/fs/cgroup`).
    var cgroup: Cgroup?
}
