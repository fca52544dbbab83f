import BerthCore

/// Which of a container's streams bytes belong to: stdcopy's stream ids.
public enum OutputStream: UInt8, Sendable {
    case stdin = 0, stdout = 1, stderr = 2
}

/// Takes bytes a container wrote to one of its streams; returns once they are on their way.
public typealias OutputSink = @Sendable (OutputStream, [UInt8]) async throws -> Void

/// A container's output for a client (attach, logs): whether it is a terminal's (raw bytes, no
/// frames), and what copies it. `input` is the client's bytes for the container's stdin (an
/// empty piece: the client closed its side), nil when the client sends none.
public struct ContainerStreams: Sendable {
    public let tty: Bool
    public let run: @Sendable (_ input: ByteSource?, _ output: @escaping OutputSink) async throws -> Void

    public init(tty: Bool, run: @escaping @Sendable (_ input: ByteSource?, _ output: @escaping OutputSink) async throws -> Void) {
        self.tty = tty
        self.run = run
    }
}

/// `POST /containers/{name}/attach`'s query.
public struct AttachOptions: Sendable {
    public var stdin = false, stdout = false, stderr = false
    /// Copy live output (and input) until the container stops.
    public var stream = false
    /// Replay the log first.
    public var logs = false
    /// The keys that detach the client (`ctrl-p,ctrl-q` when empty).
    public var detachKeys = ""
    public init() {}
}

/// `GET /containers/{name}/logs`' query. Times are Unix nanoseconds.
public struct LogsOptions: Sendable {
    public var stdout = false, stderr = false, follow = false, timestamps = false
    public var since: Int64?
    public var until: Int64?
    /// The last lines only; nil for all.
    public var tail: Int?
    public init() {}
}

/// What `POST /containers/{name}/wait` waits for.
public enum WaitCondition: String, Sendable {
    case notRunning = "not-running"
    case nextExit = "next-exit"
    case removed
}

/// The outcome of a wait: the container's exit code. Awaiting it waits for the condition.
public typealias ContainerWait = @Sendable () async throws -> Int32

/// What the container routes ask of the containers service. Names (`{name}`) are what users
/// type: a name (with or without its `/`), a full ID, or a unique ID prefix.
public protocol ContainersBackend: Sendable {
    /// `POST /containers/create`: `name` nil for a generated one.
    func create(name: String?, config: ContainerConfig, hostConfig: HostConfig) async throws -> ContainerCreateResponse
    /// Starts the container; false if it was running already (304).
    func start(_ name: String) async throws -> Bool
    /// Stops it (its stop signal, then SIGKILL after `timeout` seconds); false if it was not
    /// running (304).
    func stop(_ name: String, timeout: Int?, signal: String?) async throws -> Bool
    func restart(_ name: String, timeout: Int?, signal: String?) async throws
    /// Sends `signal` (a name or a number; nil for SIGKILL).
    func kill(_ name: String, signal: String?) async throws
    func pause(_ name: String) async throws
    func unpause(_ name: String) async throws
    /// Removes the container (killing it first with `force`) and, with `volumes`, its anonymous volumes.
    func remove(_ name: String, force: Bool, volumes: Bool) async throws
    func rename(_ name: String, to newName: String) async throws
    /// Sets the size of the container's terminal.
    func resize(_ name: String, height: Int, width: Int) async throws
    /// `docker update`: new limits (applied to a running container's cgroup too) and restart
    /// policy. Returns warnings.
    func update(_ name: String, _ update: ContainerUpdate) async throws -> [String]
    func inspect(_ name: String) async throws -> ContainerInspect
    /// `GET /containers/json`: `filters` has been checked against the keys containers take.
    func list(all: Bool, limit: Int?, size: Bool, filters: Filters) async throws -> [ContainerSummary]
    /// Registers a wait now (a `next-exit` wait sees any exit after this returns) and returns
    /// what waits for it.
    func wait(_ name: String, condition: WaitCondition) async throws -> ContainerWait
    /// Checks the container now (a 404 before the upgrade) and returns what copies its streams.
    func attach(_ name: String, options: AttachOptions) async throws -> ContainerStreams
    /// Checks the container now and returns what copies its log.
    func logs(_ name: String, options: LogsOptions) async throws -> ContainerStreams
    func top(_ name: String, psArguments: String?) async throws -> ContainerTop
    /// Checks the container now and returns its statistics: one sample a second while
    /// `stream`, else one (taken over a second, for `precpu_stats`, or at once when `oneShot`).
    func stats(_ name: String, stream: Bool, oneShot: Bool) async throws -> AsyncThrowingStream<ContainerStats, any Error>
    func prune(filters: Filters) async throws -> ContainersPruneReport
    /// `docker diff`: what the container changed in its root file system.
    func changes(_ name: String) async throws -> [ContainerChange]
    /// `docker export`: checks the container now and returns what writes its files as a tar.
    func export(_ name: String) async throws -> @Sendable (_ into: @escaping ByteSink) async throws -> Void
    /// `docker commit`: a new image of the container's changes; returns its ID.
    func commit(_ name: String, _ request: CommitRequest) async throws -> String
    /// `HEAD /containers/{id}/archive`: what is at `path` in the container's files.
    func statPath(_ name: String, path: String) async throws -> ContainerPathStat
    /// `GET /containers/{id}/archive`: checks the path now; returns what is there and what writes
    /// it as a tar whose entries start with the path's last element.
    func archive(_ name: String, path: String) async throws
        -> (stat: ContainerPathStat, write: @Sendable (_ into: @escaping ByteSink) async throws -> Void)
    /// `PUT /containers/{id}/archive`: extracts the tar `body` into the directory at `path`.
    func extract(_ name: String, path: String, options: ExtractOptions, from body: @escaping ByteSource) async throws
}

/// `POST /commit`'s query and body.
public struct CommitRequest: Sendable {
    public var repository: String?
    public var tag: String?
    public var comment = ""
    public var author = ""
    /// Freeze the container while its layer is written (the default).
    public var pause = true
    /// Dockerfile instructions applied to the new image's configuration.
    public var changes: [String] = []
    /// A configuration sent in the body, over the container's.
    public var config: ContainerConfig?
    public init() {}
}
