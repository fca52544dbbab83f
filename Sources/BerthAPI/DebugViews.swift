/// `GET /debug/vars`: the process, its connections, requests and jobs.
public struct DebugVars: Codable, Sendable {
    public struct Memory: Codable, Sendable {
        public var rss_bytes = 0
        public var peak_rss_bytes = 0
        public var virtual_bytes = 0
        public init() {}
    }

    public struct Connections: Codable, Sendable {
        public var open = 0
        public var accepted: UInt64 = 0
        public var by_listener: [String: UInt64] = [:]
        public init() {}
    }

    public struct Jobs: Codable, Sendable {
        public var count: Int
        public var errors: Int
        public var total_seconds: Double
        public var max_seconds: Double
        public init(count: Int, errors: Int, total_seconds: Double, max_seconds: Double) {
            self.count = count
            self.errors = errors
            self.total_seconds = total_seconds
            self.max_seconds = max_seconds
        }
    }

    public var cmdline: [String] = []
    public var uptime_seconds = 0.0
    public var memory = Memory()
    public var connections = Connections()
    public var requests: [String: Int] = [:]
    public var jobs: [String: Jobs] = [:]
    public var log_lines_dropped = 0

    public init() {}
}

/// An entry of `GET /debug/jobs`: a job running now.
public struct DebugJob: Codable, Sendable {
    public var call: String
    public var age_seconds: Double
    public init(call: String, age_seconds: Double) {
        self.call = call
        self.age_seconds = age_seconds
    }
}

/// An entry of `GET /debug/connections`.
public struct DebugConnection: Codable, Sendable {
    public var id: UInt64
    public var peer: String
    public var listener: String
    public var state: String
    public var age_seconds: Double
    public var bytes_in: Int
    public var bytes_out: Int
    public init(id: UInt64, peer: String, listener: String, state: String, age_seconds: Double, bytes_in: Int, bytes_out: Int) {
        self.id = id
        self.peer = peer
        self.listener = listener
        self.state = state
        self.age_seconds = age_seconds
        self.bytes_in = bytes_in
        self.bytes_out = bytes_out
    }
}
