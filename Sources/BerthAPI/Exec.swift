/// `POST /containers/{name}/exec`'s body: Docker's `ExecOptions`.
public struct ExecCreateRequest: Codable, Sendable {
    public var User: String?
    public var Privileged: Bool?
    public var Tty: Bool?
    public var ConsoleSize: [Int]?
    public var AttachStdin: Bool?
    public var AttachStderr: Bool?
    public var AttachStdout: Bool?
    public var Detach: Bool?
    public var DetachKeys: String?
    public var Env: [String]?
    public var WorkingDir: String?
    public var Cmd: [String]?

    public init() {}
}

/// `POST /exec/{id}/start`'s body.
public struct ExecStartRequest: Codable, Sendable {
    public var Detach: Bool?
    public var Tty: Bool?
    public var ConsoleSize: [Int]?
}

/// `GET /exec/{id}/json`: Docker's `ExecInspect`. `ExitCode` is null while it runs.
public struct ExecInspect: Codable, Sendable {
    public struct Process: Codable, Sendable {
        public var tty: Bool
        public var entrypoint: String
        public var arguments: [String]
        public var privileged: Bool
        public var user: String?

        public init(tty: Bool, entrypoint: String, arguments: [String], privileged: Bool, user: String?) {
            self.tty = tty
            self.entrypoint = entrypoint
            self.arguments = arguments
            self.privileged = privileged
            self.user = user
        }
    }

    public var ID: String
    public var Running: Bool
    public var ExitCode: Int32?
    public var ProcessConfig: Process
    public var OpenStdin: Bool
    public var OpenStderr: Bool
    public var OpenStdout: Bool
    public var CanRemove = false
    public var ContainerID: String
    public var DetachKeys: String
    public var Pid: Int32

    public init(ID: String, Running: Bool, ExitCode: Int32?, ProcessConfig: Process, OpenStdin: Bool, OpenStderr: Bool,
                OpenStdout: Bool, ContainerID: String, DetachKeys: String, Pid: Int32) {
        self.ID = ID
        self.Running = Running
        self.ExitCode = ExitCode
        self.ProcessConfig = ProcessConfig
        self.OpenStdin = OpenStdin
        self.OpenStderr = OpenStderr
        self.OpenStdout = OpenStdout
        self.ContainerID = ContainerID
        self.DetachKeys = DetachKeys
        self.Pid = Pid
    }

    private enum CodingKeys: String, CodingKey {
        case ID, Running, ExitCode, ProcessConfig, OpenStdin, OpenStderr, OpenStdout, CanRemove, ContainerID, DetachKeys, Pid
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ID, forKey: .ID)
        try c.encode(Running, forKey: .Running)
        try c.encode(ExitCode, forKey: .ExitCode)  // null while running, as dockerd writes it
        try c.encode(ProcessConfig, forKey: .ProcessConfig)
        try c.encode(OpenStdin, forKey: .OpenStdin)
        try c.encode(OpenStderr, forKey: .OpenStderr)
        try c.encode(OpenStdout, forKey: .OpenStdout)
        try c.encode(CanRemove, forKey: .CanRemove)
        try c.encode(ContainerID, forKey: .ContainerID)
        try c.encode(DetachKeys, forKey: .DetachKeys)
        try c.encode(Pid, forKey: .Pid)
    }
}

/// What the exec routes ask of the containers service.
public protocol ExecBackend: Sendable {
    /// Registers a command to run in the running container `name`; returns its ID.
    func createExec(in name: String, _ request: ExecCreateRequest) async throws -> String
    /// Starts exec `id`. Detached: returns nil once the process runs. Else returns what copies
    /// its streams until it exits.
    func startExec(_ id: String, detach: Bool, consoleSize: [Int]?) async throws -> ContainerStreams?
    func inspectExec(_ id: String) async throws -> ExecInspect
    /// Sets the size of exec `id`'s terminal.
    func resizeExec(_ id: String, height: Int, width: Int) async throws
}
