import BerthCore

/// A container's lifecycle as a pure value: each method is an event, checks that it may happen
/// in the current phase (throwing dockerd's conflict otherwise), moves to the next phase, and
/// says what to do next. The container actor performs what it is told; it never sets a phase
/// itself. Persisted with the container (`State` in `config.v2.json`).
struct ContainerLifecycle: Codable, Sendable, Equatable {
    enum Phase: String, Codable, Sendable {
        case created, starting, running, paused, restarting, removing, exited, dead
    }

    /// What the restart policy decided when the process exited.
    enum AfterExit: Equatable, Sendable {
        /// Stay exited.
        case stay
        /// Start again after the delay (the policy's back-off).
        case restart(after: Duration)
        /// `AutoRemove`: remove the container.
        case remove
    }

    private(set) var phase: Phase = .created
    private(set) var pid: Int32 = 0
    private(set) var exitCode: Int32 = 0
    private(set) var error = ""
    private(set) var oomKilled = false
    /// Unix nanoseconds; nil until the first start and the first exit.
    private(set) var startedAt: Int64?
    private(set) var finishedAt: Int64?
    private(set) var restartCount = 0
    /// Set by `stop`, `kill` and `rm -f`: the restart policy does not bring the container back,
    /// and `unless-stopped` keeps it down when the daemon starts again.
    private(set) var stoppedByUser = false
    /// The back-off before the next restart (dockerd's: 100 ms, doubling, reset after 10 s up).
    private(set) var backoffMilliseconds: Int64 = 0
    /// A stop was asked for: the coming exit is not restarted.
    private(set) var stopping = false

    static let backoffStart: Int64 = 100
    static let backoffLimit: Int64 = 60_000
    static let backoffResetAfter: Int64 = 10_000_000_000

    var isRunning: Bool { phase == .running || phase == .paused }
    /// Whether a process exists (starting or running or paused): what stop and kill act on.
    var hasProcess: Bool { phase == .running || phase == .paused || phase == .starting }

    /// `docker start` (or a restart): returns false if the container runs already (a 304).
    mutating func beginStart(id: String) throws -> Bool {
        switch phase {
        case .running, .starting: return false
        case .paused: throw APIError.conflict("cannot start a paused container, try unpause instead")
        case .removing: throw APIError.conflict("container is marked for removal and cannot be started")
        case .dead: throw APIError.conflict("container \(id) is dead and cannot be started")
        case .created, .exited, .restarting:
            phase = .starting
            stoppedByUser = false
            stopping = false
            return true
        }
    }

    /// The process runs (its command was execed).
    mutating func started(pid: Int32, at time: Int64) {
        precondition(phase == .starting, "started while \(phase)")
        phase = .running
        self.pid = pid
        startedAt = time
        exitCode = 0
        error = ""
        oomKilled = false
    }

    /// Starting failed with `message`: the container is exited with `code` (127 for a missing
    /// command, 126 when it cannot run, else 128, as dockerd sets them).
    mutating func startFailed(_ message: String, code: Int32, at time: Int64) {
        phase = .exited
        pid = 0
        exitCode = code
        error = message
        finishedAt = time
    }

    /// A stop, kill or forced removal: no restart follows this exit. From the user (not the
    /// daemon shutting down), `unless-stopped` also keeps the container down at the next start.
    mutating func stopRequested(byUser: Bool) {
        stopping = true
        if byUser { stoppedByUser = true }
    }

    mutating func paused() throws {
        switch phase {
        case .running: phase = .paused
        case .paused: throw APIError.conflict("Container is already paused")
        default: throw APIError.conflict("Container is not running")
        }
    }

    mutating func unpaused() throws {
        guard phase == .paused else { throw APIError.conflict("Container is not paused") }
        phase = .running
    }

    /// The process exited with `code`. Returns what the restart policy (or `AutoRemove`) asks for.
    mutating func exited(code: Int32, oomKilled: Bool, at time: Int64, policy: RestartPolicy, autoRemove: Bool) -> AfterExit {
        let ranFor = startedAt.map { time - $0 } ?? 0
        pid = 0
        exitCode = code
        self.oomKilled = oomKilled
        finishedAt = time
        phase = .exited
        if autoRemove { return .remove }
        guard !stopping, policy.restarts(exitCode: code, restartCount: restartCount) else {
            backoffMilliseconds = 0
            return .stay
        }
        if ranFor >= Self.backoffResetAfter || backoffMilliseconds == 0 {
            backoffMilliseconds = Self.backoffStart
        } else {
            backoffMilliseconds = min(backoffMilliseconds * 2, Self.backoffLimit)
        }
        phase = .restarting
        restartCount += 1
        return .restart(after: .milliseconds(backoffMilliseconds))
    }

    /// A restart was given up (the daemon stops, or the container was stopped while waiting).
    mutating func restartAbandoned() {
        if phase == .restarting { phase = .exited }
    }

    /// `docker rm`: a running container needs `force` (and is killed first by the caller).
    mutating func beginRemoval(id: String, force: Bool) throws {
        switch phase {
        case .removing: throw APIError.conflict("removal of container \(id) is already in progress")
        case .running, .paused, .starting:
            guard force else {
                throw APIError.conflict("You cannot remove a running container \(id). Stop the container before attempting removal or force remove")
            }
        default: break
        }
        phase = .removing
    }

    /// Removal failed: the container is back as it was, exited.
    mutating func removalFailed() {
        if phase == .removing { phase = .exited }
    }

    /// The daemon starts and finds this state on disk: a container that had a process when the
    /// daemon died is exited (its orphaned processes are killed by the caller), with SIGKILL's code.
    mutating func restored(at time: Int64) -> Bool {
        switch phase {
        case .running, .paused, .starting, .restarting:
            let hadProcess = phase != .restarting
            phase = .exited
            pid = 0
            if hadProcess {
                exitCode = 137
                finishedAt = time
            }
            return hadProcess
        case .removing:
            phase = .exited
            return false
        default:
            return false
        }
    }

    /// `State.Status` as Docker names it.
    var status: String {
        switch phase {
        case .starting: "created"
        default: phase.rawValue
        }
    }
}

/// `HostConfig.RestartPolicy`, checked: `no`, `always`, `unless-stopped`, `on-failure[:N]`.
struct RestartPolicy: Codable, Sendable, Equatable {
    enum Name: String, Codable, Sendable {
        case no, always, unlessStopped = "unless-stopped", onFailure = "on-failure"
    }

    let name: Name
    let maximumRetryCount: Int

    init(name: String, maximumRetryCount: Int) throws {
        guard let known = Name(rawValue: name.isEmpty ? "no" : name) else {
            throw APIError.invalidParameter("invalid restart policy '\(name)'")
        }
        guard maximumRetryCount >= 0 else {
            throw APIError.invalidParameter("invalid restart policy: maximum retry count cannot be negative")
        }
        if known != .onFailure, maximumRetryCount > 0 {
            throw APIError.invalidParameter("invalid restart policy: maximum retry count can only be used with 'on-failure'")
        }
        self.name = known
        self.maximumRetryCount = maximumRetryCount
    }

    /// Whether a process that exited with `exitCode`, restarted `restartCount` times already,
    /// starts again.
    func restarts(exitCode: Int32, restartCount: Int) -> Bool {
        switch name {
        case .no: false
        case .always, .unlessStopped: true
        case .onFailure: exitCode != 0 && (maximumRetryCount == 0 || restartCount < maximumRetryCount)
        }
    }

    /// Whether the daemon starts the container when it starts again.
    func startsWithDaemon(stoppedByUser: Bool) -> Bool {
        switch name {
        case .always: true
        case .unlessStopped: !stoppedByUser
        case .no, .onFailure: false
        }
    }
}
